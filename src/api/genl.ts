/**
 * nl.genl: generic netlink families as the kernel has them (what `genl ctrl list` shows), over the
 * client's generic netlink socket (opened on first use, in the client's namespace).
 */
import type { RequestOptions } from '../conn/connection.js';
import type { GenlConnection } from '../genl/connection.js';
import type { GenlFamily } from '../genl/families.js';
import { checkRequestOptions } from './validate.js';

export type { GenlFamily, GenlMcastGroup, GenlOperation } from '../genl/families.js';

export class GenlApi {
  /** @param genl the generic netlink connection, opened on first use */
  constructor(private readonly genl: () => Promise<GenlConnection>) {}

  /** Every family (a CTRL_CMD_GETFAMILY dump), in the kernel's order. */
  async families(options?: RequestOptions): Promise<GenlFamily[]> {
    const o = checkRequestOptions(options);
    return (await this.genl()).families(o);
  }

  /** One family by name; NotFoundError when there is none (its module not loaded, say). */
  async family(name: string, options?: RequestOptions): Promise<GenlFamily> {
    const o = checkRequestOptions(options);
    return (await this.genl()).family(name, o);
  }

  /** The connection itself, for families without a module here: request(family, operation, attrs) once its spec is in (use()). */
  connection(): Promise<GenlConnection> {
    return this.genl();
  }
}
