import type { ContextDocument } from '../language-model.ts';
import { sentences, terms, words } from './offline-text.ts';

/** An offline reply and the passages it cites. */
export interface OfflineAnswer {
  readonly text: string;
  readonly citations: readonly string[];
}

/** What the offline model says when the passages do not answer the question. */
export const OFFLINE_NO_ANSWER =
  "I'm answering offline and the knowledge I was given does not cover that question.";

const MAX_SENTENCES = 3;
const BM25_K1 = 1.2;
const BM25_B = 0.75;

interface Candidate {
  readonly documentId: string;
  readonly sentence: string;
  readonly terms: readonly string[];
  readonly order: number;
}

/**
 * Answers a question from retrieved passages: every sentence is scored against the question with
 * BM25 (sentences as documents), the best ones (at least half the top score, at most three) are
 * quoted in rank order, each followed by the id of its passage in square brackets.
 */
export function answerFromContext(question: string, documents: readonly ContextDocument[]): OfflineAnswer {
  const candidates: Candidate[] = [];
  for (const document of documents) {
    for (const sentence of sentences(document.text)) {
      candidates.push({
        documentId: document.id,
        sentence,
        terms: terms(sentence),
        order: candidates.length,
      });
    }
  }
  const query = new Set(terms(question));
  if (candidates.length === 0 || query.size === 0) return { text: OFFLINE_NO_ANSWER, citations: [] };

  const documentFrequency = new Map<string, number>();
  for (const candidate of candidates) {
    for (const term of new Set(candidate.terms))
      documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  }
  const averageLength =
    candidates.reduce((sum, candidate) => sum + candidate.terms.length, 0) / candidates.length;
  const score = (candidate: Candidate): number => {
    let total = 0;
    for (const term of query) {
      const frequency = candidate.terms.filter((candidateTerm) => candidateTerm === term).length;
      if (frequency === 0) continue;
      const df = documentFrequency.get(term) ?? 0;
      const idf = Math.log(1 + (candidates.length - df + 0.5) / (df + 0.5));
      const lengthNorm = 1 - BM25_B + (BM25_B * candidate.terms.length) / Math.max(averageLength, 1);
      total += idf * ((frequency * (BM25_K1 + 1)) / (frequency + BM25_K1 * lengthNorm));
    }
    return total;
  };
  const ranked = candidates
    .map((candidate) => ({ candidate, score: score(candidate) }))
    .filter((entry) => entry.score > 0)
    .sort((left, right) => right.score - left.score || left.candidate.order - right.candidate.order);
  const best = ranked[0];
  if (!best) return { text: OFFLINE_NO_ANSWER, citations: [] };
  const chosen = ranked.filter((entry) => entry.score >= best.score / 2).slice(0, MAX_SENTENCES);
  const citations = [...new Set(chosen.map((entry) => entry.candidate.documentId))];
  const text = chosen.map((entry) => `${entry.candidate.sentence} [${entry.candidate.documentId}]`).join(' ');
  return { text, citations };
}

/** A tool's result as the offline model reads it. */
export interface OfflineToolResult {
  readonly toolName?: string;
  readonly content: string;
  readonly isError?: boolean;
}

function humanize(key: string): string {
  return words(key).join(' ');
}

function renderValue(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function parseJson(content: string): unknown {
  try {
    return JSON.parse(content);
  } catch {
    return undefined;
  }
}

function describeResult(result: OfflineToolResult, question: string): string {
  const label = result.toolName ?? 'the tool';
  if (result.isError) return `The call to ${label} failed: ${result.content}`;
  const value = parseJson(result.content);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const fields = Object.entries(value).map(([key, item]) => `${humanize(key)}: ${renderValue(item)}`);
    return fields.length === 0
      ? `${label} returned nothing.`
      : `Here is what ${label} returned: ${fields.join('; ')}.`;
  }
  if (Array.isArray(value)) {
    const shown = value.slice(0, 5).map(renderValue).join('; ');
    return `${label} returned ${value.length} result${value.length === 1 ? '' : 's'}${value.length > 0 ? `: ${shown}` : ''}.`;
  }
  const answer = answerFromContext(question, [{ id: label, text: result.content }]);
  if (answer.citations.length > 0) return answer.text.replaceAll(` [${label}]`, '');
  return sentences(result.content).slice(0, 2).join(' ') || `${label} returned nothing.`;
}

/** Answers from the results of the tools the model called, one sentence (or list) per result. */
export function answerFromToolResults(
  results: readonly OfflineToolResult[],
  question: string,
): OfflineAnswer {
  return { text: results.map((result) => describeResult(result, question)).join(' '), citations: [] };
}
