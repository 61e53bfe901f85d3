/**
 * Imported first by main.tsx. zod would probe `new Function` to compile fast parsers; the console's CSP forbids
 * eval, and the refused probe is reported as a CSP violation even though zod catches it. jitless skips it.
 */
import { z } from "zod";

z.config({ jitless: true });
