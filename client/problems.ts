/** Problems the SDK client (incidents.ts) and the lean client (lean/) report in the same words. */
import { Problem } from '../common/errors';

export function unknownIncident(id: string): Problem {
  return new Problem('UnknownIncident', `no incident "${id}" on this server: check the id with \`tourniquet list\``);
}
