// Stores a credit note's PDF once; a concurrent attempt that stored it first wins (the trigger refuses a change).
import type { Sql } from '../client.ts';

export async function storeCreditNotePdf(sql: Sql, input: { number: string; pdf: Buffer; pdfSha256: Buffer }): Promise<Buffer> {
  const [stored] = await sql<{ pdf_sha256: Buffer }[]>`
    update credit_notes set pdf = ${input.pdf}, pdf_sha256 = ${input.pdfSha256}
    where number = ${input.number} and pdf is null returning pdf_sha256`;
  if (stored !== undefined) return stored.pdf_sha256;
  const [existing] = await sql<{ pdf_sha256: Buffer }[]>`select pdf_sha256 from credit_notes where number = ${input.number}`;
  return existing!.pdf_sha256;
}
