/**
 * Repository permissions, weakest first, as GitHub names them (REST "Get repository permissions
 * for a user": `role_name` is one of these or a custom role; docs.github.com/en/rest/collaborators/collaborators,
 * read 2026-11-29).
 */
import type { Permission } from "./github";

export const PERMISSION_ORDER: readonly Permission[] = [
  "none",
  "read",
  "triage",
  "write",
  "maintain",
  "admin",
];

export function atLeast(permission: Permission, least: Permission): boolean {
  return PERMISSION_ORDER.indexOf(permission) >= PERMISSION_ORDER.indexOf(least);
}

export function canWrite(permission: Permission): boolean {
  return atLeast(permission, "write");
}
