// The platform API is the operator's alone. The contract's operatorAuth guards the routes; the
// service checks again, so a non-HTTP caller cannot manage tenants as a tenant's user.
import { requireOperator, type Principal } from "../../core/principal.ts";

export function checkOperator(principal: Principal): void {
  requireOperator(principal);
}
