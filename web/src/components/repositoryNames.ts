/** Repository names from what a person typed: commas, spaces or new lines between them. */
export function parseRepositories(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean))]
}
