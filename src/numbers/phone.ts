/** How a number reads in its own country: (415) 555-0100 for NANP, E.164 otherwise. */
export function nationalFormat(e164: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : e164;
}

export function numberView(n: { e164: string }) {
  return { e164: n.e164, national: nationalFormat(n.e164) };
}
