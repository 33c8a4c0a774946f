import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Each test file runs in its own process with its own SQLite file, so files
// never see each other's rows. Real-looking keys satisfy the config module;
// nothing here reaches Clerk.
export const TEST_WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
export const TEST_SECOND_WEBHOOK_SECRET = "whsec_dGhpcyBpcyBhIHJvdGF0ZWQgc2VjcmV0IQ==";

process.env.DATABASE_URL ??= join(mkdtempSync(join(tmpdir(), "clerk-sync-test-")), "app.db");
process.env.CLERK_WEBHOOK_SIGNING_SECRET ??= TEST_WEBHOOK_SECRET;
process.env.CLERK_PUBLISHABLE_KEY ??= `pk_test_${Buffer.from("clerk.example.test$").toString("base64")}`;
process.env.CLERK_SECRET_KEY ??= "sk_test_testsecretkey0000000000";
process.env.LOG_LEVEL ??= "silent";
