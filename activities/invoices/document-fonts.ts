// The fonts of Refill's PDFs (invoices, credit notes): Noto Sans SC, which covers Latin and Simplified
// Chinese, from the pinned npm package @expo-google-fonts/noto-sans-sc (SIL Open Font License). pdfkit's
// standard fonts are WinAnsi only, so a Chinese issuer, customer or remitter name came out as mojibake.
//
// Each face is read and parsed once per process (like the standard fonts, patches/pdfkit+0.20.2.patch):
// the files are 10 MB each, and pdfkit would otherwise parse them for every document. pdfkit embeds only
// a subset of each face, the glyphs a document uses, so a PDF stays small (see README "Invoices").
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as fontkit from 'fontkit';

/** The names documents select the faces by, with document.font(...). */
export const bodyFont = 'NotoSansSC-Regular';
export const boldFont = 'NotoSansSC-Bold';

const fontFiles = {
  [bodyFont]: '@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf',
  [boldFont]: '@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf',
} as const;

type FaceName = keyof typeof fontFiles;

const require = createRequire(import.meta.url);
const parsedFaces = new Map<FaceName, fontkit.Font>();

/** The parsed face, read from its package on first use; a missing file fails the render, which is retried. */
function face(name: FaceName): fontkit.Font {
  let parsed = parsedFaces.get(name);
  if (parsed === undefined) {
    const created = fontkit.create(readFileSync(require.resolve(fontFiles[name])));
    if (!('layout' in created)) throw new Error(`${fontFiles[name]} is a font collection, not one face`);
    parsed = created;
    parsedFaces.set(name, parsed);
  }
  return parsed;
}

/** Registers both faces on a document and selects the body face. */
export function useDocumentFonts(document: PDFKit.PDFDocument): void {
  // pdfkit takes a parsed fontkit font as a source (anything with layout()), so nothing is parsed again.
  document.registerFont(bodyFont, face(bodyFont) as unknown as string);
  document.registerFont(boldFont, face(boldFont) as unknown as string);
  document.font(bodyFont);
}
