/** The byte seam: real sockets, fixture replay and recording, scripted fakes. */
export * from './types.js';
export * from './errors.js';
export * from './netlink-socket.js';
export * from './fixture.js';
export * from './recording.js';
export * from './replay.js';
export * from './scripted.js';
