// openapi.yaml as JSON, for the server to load: parsing the YAML cost each process 0.7 s of CPU
// and left about 25 MiB of resident memory behind. src/core/contract.ts parses the YAML instead
// when this copy was not made from its current text.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { CONTRACT_JSON_PATH, CONTRACT_PATH, contractSourceHash, type ContractJson } from "../src/core/contract.ts";

export { CONTRACT_JSON_PATH };

export function writeContractJson(): void {
  const yaml = fs.readFileSync(CONTRACT_PATH, "utf8");
  const copy: ContractJson = { sourceSha256: contractSourceHash(yaml), document: YAML.parse(yaml) as Record<string, unknown> };
  fs.mkdirSync(path.dirname(CONTRACT_JSON_PATH), { recursive: true });
  fs.writeFileSync(CONTRACT_JSON_PATH, `${JSON.stringify(copy)}\n`);
}
