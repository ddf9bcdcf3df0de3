import type { FlowDefinition, FlowNode } from './definition.ts';
import { ExpressionError, expressionReferences, parseExpression } from './expression.ts';
import { checkPattern } from './safe-pattern.ts';
import { checkTemplate, templateReferences } from './template.ts';
import type { FlowFinding, FlowFindingCode, FlowValidationContext } from './validation-types.ts';

/** The expressions and templates of a node, with the field each sits in. */
function textFields(node: FlowNode): { expressions: [string, string][]; templates: [string, string][] } {
  const expressions: [string, string][] = [];
  const templates: [string, string][] = [];
  const record = (prefix: string, values: Record<string, string>) => {
    for (const [key, value] of Object.entries(values)) expressions.push([`${prefix}.${key}`, value]);
  };
  switch (node.type) {
    case 'message':
      templates.push(['text', node.text]);
      break;
    case 'collect':
      templates.push(['prompt', node.prompt]);
      if (node.retryPrompt !== undefined) templates.push(['retryPrompt', node.retryPrompt]);
      break;
    case 'llm':
      templates.push(['instructions', node.instructions]);
      break;
    case 'condition':
      node.branches.forEach((branch, index) => {
        expressions.push([`branches[${index}].when`, branch.when]);
      });
      break;
    case 'tool':
    case 'delegate':
      record('input', node.input);
      break;
    case 'approval':
      record('data', node.data);
      if (node.message !== undefined) templates.push(['message', node.message]);
      break;
    case 'handoff':
      if (node.summary !== undefined) templates.push(['summary', node.summary]);
      if (node.message !== undefined) templates.push(['message', node.message]);
      break;
    case 'set':
      record('assign', node.assign);
      break;
    case 'end':
      if (node.message !== undefined) templates.push(['message', node.message]);
      if (node.result !== undefined) expressions.push(['result', node.result]);
      break;
    case 'intent_router':
      break;
  }
  return { expressions, templates };
}

/** Slots some collect node fills, and variables the flow declares or some node writes. */
function knownNames(definition: FlowDefinition): { slots: Set<string>; vars: Set<string> } {
  const slots = new Set<string>();
  const vars = new Set<string>(Object.keys(definition.variables));
  for (const node of definition.nodes) {
    if (node.type === 'collect') slots.add(node.slot);
    if (node.type === 'set') for (const name of Object.keys(node.assign)) vars.add(name);
    if ('saveAs' in node && node.saveAs !== undefined) vars.add(node.saveAs);
  }
  return { slots, vars };
}

function referenceFindings(
  node: FlowNode,
  field: string,
  references: readonly string[],
  known: { slots: Set<string>; vars: Set<string> },
): FlowFinding[] {
  const findings: FlowFinding[] = [];
  for (const reference of references) {
    const [root, name] = reference.split('.');
    if (name === undefined) continue;
    if (root === 'slots' && !known.slots.has(name)) {
      findings.push({
        severity: 'warning',
        code: 'unknown_slot',
        nodeId: node.id,
        path: field,
        message: `node '${node.id}' ${field} reads ${reference}, but no collect node fills slot '${name}'`,
      });
    }
    if (root === 'vars' && !known.vars.has(name)) {
      findings.push({
        severity: 'warning',
        code: 'unknown_variable',
        nodeId: node.id,
        path: field,
        message: `node '${node.id}' ${field} reads ${reference}, but the flow never declares or sets '${name}'`,
      });
    }
  }
  return findings;
}

function expressionFindings(node: FlowNode, known: { slots: Set<string>; vars: Set<string> }): FlowFinding[] {
  const findings: FlowFinding[] = [];
  const { expressions, templates } = textFields(node);
  for (const [field, source] of expressions) {
    try {
      findings.push(...referenceFindings(node, field, expressionReferences(parseExpression(source)), known));
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      findings.push({
        severity: 'error',
        code: 'bad_expression',
        nodeId: node.id,
        path: field,
        message: `node '${node.id}' ${field}: ${error.message} (at character ${error.position + 1})`,
      });
    }
  }
  for (const [field, template] of templates) {
    const problem = checkTemplate(template);
    if (problem) {
      findings.push({
        severity: 'error',
        code: 'bad_template',
        nodeId: node.id,
        path: field,
        message: `node '${node.id}' ${field}: ${problem.message} (at character ${problem.position + 1})`,
      });
    } else {
      findings.push(...referenceFindings(node, field, templateReferences(template), known));
    }
  }
  return findings;
}

function collectFindings(node: Extract<FlowNode, { type: 'collect' }>): FlowFinding[] {
  const at = (
    code: FlowFindingCode,
    path: string,
    message: string,
    severity: 'error' | 'warning' = 'error',
  ) => ({
    severity,
    code,
    nodeId: node.id,
    path,
    message: `node '${node.id}': ${message}`,
  });
  const findings: FlowFinding[] = [];
  if (node.valueType === 'enum' && (node.options === undefined || node.options.length === 0)) {
    findings.push(
      at('enum_without_options', 'options', `slot '${node.slot}' is an enum but lists no options`),
    );
  }
  if (node.valueType !== 'enum' && node.options !== undefined) {
    findings.push(at('options_ignored', 'options', `options apply to enum slots only`, 'warning'));
  }
  if (node.valueType === 'regex') {
    if (node.pattern === undefined || node.pattern === '') {
      findings.push(
        at('regex_without_pattern', 'pattern', `slot '${node.slot}' is a regex but has no pattern`),
      );
    } else {
      const problem = checkPattern(node.pattern);
      if (problem) findings.push(at('invalid_pattern', 'pattern', `pattern refused: ${problem}`));
    }
  } else if (node.pattern !== undefined) {
    findings.push(at('pattern_ignored', 'pattern', 'a pattern applies to regex slots only', 'warning'));
  }
  return findings;
}

function referenceTargetFindings(node: FlowNode, context: FlowValidationContext): FlowFinding[] {
  const findings: FlowFinding[] = [];
  const unknownTool = (tool: string, path: string) =>
    findings.push({
      severity: 'error',
      code: 'unknown_tool',
      nodeId: node.id,
      path,
      message: `node '${node.id}' uses tool '${tool}', which is not available`,
    });
  if (node.type === 'tool' && !context.knownTools.has(node.tool)) unknownTool(node.tool, 'tool');
  if (node.type === 'llm') {
    node.tools?.forEach((tool, index) => {
      if (!context.knownTools.has(tool)) unknownTool(tool, `tools[${index}]`);
    });
  }
  if (node.type === 'delegate') {
    if (context.agentId !== undefined && node.agentId === context.agentId) {
      findings.push({
        severity: 'error',
        code: 'self_delegation',
        nodeId: node.id,
        path: 'agentId',
        message: `node '${node.id}' delegates to the flow's own agent, which would loop`,
      });
    } else if (!context.knownAgentIds.has(node.agentId)) {
      findings.push({
        severity: 'error',
        code: 'unknown_agent',
        nodeId: node.id,
        path: 'agentId',
        message: `node '${node.id}' delegates to agent ${node.agentId}, which does not exist`,
      });
    }
  }
  if (node.type === 'intent_router') {
    const seen = new Set<string>();
    node.routes.forEach((route, index) => {
      const path = `routes[${index}].intent`;
      if (seen.has(route.intent)) {
        findings.push({
          severity: 'warning',
          code: 'duplicate_route',
          nodeId: node.id,
          path,
          message: `node '${node.id}' routes intent '${route.intent}' twice; only the first route is taken`,
        });
      }
      seen.add(route.intent);
      if (context.knownIntents && !context.knownIntents.has(route.intent)) {
        findings.push({
          severity: 'warning',
          code: 'unknown_intent',
          nodeId: node.id,
          path,
          message: `node '${node.id}' routes intent '${route.intent}', which the agent does not define`,
        });
      }
    });
  }
  return findings;
}

/** Per-node content checks: expressions, templates, collect settings, tools, agents and intents. */
export function contentFindings(definition: FlowDefinition, context: FlowValidationContext): FlowFinding[] {
  const known = knownNames(definition);
  const findings: FlowFinding[] = [];
  for (const node of definition.nodes) {
    findings.push(...expressionFindings(node, known));
    if (node.type === 'collect') findings.push(...collectFindings(node));
    findings.push(...referenceTargetFindings(node, context));
  }
  return findings;
}
