/** Clerk's role key as people read it: `org:admin` → "admin"; a custom role keeps its own key. */
export function roleLabel(role: string | null): string {
  if (!role) return "—";
  return role.startsWith("org:") ? role.slice("org:".length) : role;
}
