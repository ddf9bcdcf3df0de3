/**
 * Writes a small, valid PDF by hand (catalog, page tree, Helvetica text pages, an info dictionary
 * and a correct cross-reference table), so tests ingest a real PDF without shipping a binary.
 */
export function minimalPdf(pages: readonly (readonly string[])[], title?: string): Uint8Array {
  const escapePdf = (text: string) => text.replace(/[\\()]/g, (match) => `\\${match}`);
  const objects: string[] = [];
  const pageCount = pages.length;
  // 1: catalog, 2: pages, 3: font, 4: info, then per page: page object + content stream.
  const pageIds = pages.map((_, index) => 5 + index * 2);
  objects.push('<< /Type /Catalog /Pages 2 0 R >>');
  objects.push(
    `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pageCount} >>`,
  );
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  objects.push(`<< /Title (${escapePdf(title ?? '')}) /Producer (lumay tests) >>`);
  for (const [index, lines] of pages.entries()) {
    const stream = [
      'BT',
      '/F1 11 Tf',
      '14 TL',
      '72 740 Td',
      ...lines.map((line) => `(${escapePdf(line)}) Tj T*`),
      'ET',
    ].join('\n');
    const contentId = (pageIds[index] ?? 0) + 1;
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contentId} 0 R >>`,
    );
    objects.push(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`);
  }
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  for (const [index, object] of objects.entries()) {
    offsets.push(body.length);
    body += `${index + 1} 0 obj\n${object}\nendobj\n`;
  }
  const xrefOffset = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R${title ? ' /Info 4 0 R' : ''} >>\nstartxref\n${xrefOffset}\n%%EOF\n`;
  // Latin-1 only: one byte per character, so the offsets above are byte offsets.
  return Uint8Array.from(body, (character) => character.charCodeAt(0) & 0xff);
}
