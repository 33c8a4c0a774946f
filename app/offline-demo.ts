/**
 * The demo account the offline launcher seeds into the local Clerk stand-in.
 * Shown on the sign-in page only in offline mode; it exists nowhere else.
 */
export const OFFLINE_DEMO_USER = {
  email: "demo@clerk-sync.local",
  password: "clerk-sync-demo",
  firstName: "Demo",
  lastName: "User",
  username: "demo",
} as const;
