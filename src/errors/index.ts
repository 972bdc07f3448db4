/**
 * The errors every layer shares: the base class and the argument / not-found errors that lower
 * layers throw too. Imports nothing of the package (test/architecture/layers.test.ts).
 */
export { NetlinkTsError, isNetlinkTsError } from './base.js';
export { InvalidArgumentError, describeValue, isInvalidArgumentError } from './invalid-argument.js';
export { NotFoundError, type NotFoundWhat, isNotFoundError } from './not-found.js';
