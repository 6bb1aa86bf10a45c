// Locations of the data shipped with the package (catalog, rules, playbooks, profiles).
// Works from src/ (tsx) and dist/ (compiled): both sit two levels below the package root.
import { fileURLToPath } from "node:url";

export const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const packagePath = (...parts: string[]): string => [PACKAGE_ROOT.replace(/\/$/, ""), ...parts].join("/");
