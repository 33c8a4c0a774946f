import { createContext, useContext } from "react";

/**
 * The per-response CSP nonce (app/security-headers.server.ts), handed from
 * entry.server.tsx to the document's inline scripts. In the browser it is "":
 * browsers hide a rendered nonce, and the scripts already ran.
 */
export const NonceContext = createContext("");

export const useNonce = () => useContext(NonceContext);
