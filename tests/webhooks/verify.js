// Checks the service's Standard Webhooks signatures with the npm standardwebhooks package
// (an independent implementation): every sample verifies with each secret that signed it,
// and fails with a changed body, id or timestamp, or with a secret that did not sign it.
//   node tests/webhooks/verify.js <sign_samples binary>
"use strict";
const { execFileSync } = require("node:child_process");
const { Webhook } = require("standardwebhooks");

const lines = execFileSync(process.argv[2], { encoding: "utf8", maxBuffer: 1 << 26 }).trim().split("\n");
let failures = 0;
const fail = (message) => {
  failures += 1;
  console.error(message);
};
const verifies = (secret, body, id, timestamp, signature) => {
  try {
    new Webhook(secret).verify(body, {
      "webhook-id": id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signature,
    });
    return true;
  } catch (error) {
    return false;
  }
};
const stranger = "whsec_" + Buffer.alloc(32, 7).toString("base64");
for (const line of lines) {
  const s = JSON.parse(line);
  for (const secret of s.secrets) {
    if (!verifies(secret, s.body, s.id, s.timestamp, s.signature)) fail(`not verified: ${line.slice(0, 200)}`);
  }
  if (verifies(s.secrets[0], s.body + " ", s.id, s.timestamp, s.signature)) fail(`changed body verified: ${s.id}`);
  if (verifies(s.secrets[0], s.body, s.id + "x", s.timestamp, s.signature)) fail(`changed id verified: ${s.id}`);
  if (verifies(s.secrets[0], s.body, s.id, s.timestamp - 1, s.signature)) fail(`changed time verified: ${s.id}`);
  if (verifies(stranger, s.body, s.id, s.timestamp, s.signature)) fail(`another secret verified: ${s.id}`);
  if (s.signature.split(" ").length !== s.secrets.length) fail(`one signature per secret expected: ${s.signature}`);
}
if (lines.length < 10) fail(`only ${lines.length} samples`);
console.log(`${lines.length} samples checked with standardwebhooks, ${failures} failures`);
process.exit(failures === 0 ? 0 : 1);
