export * from './constants.js';
export * from './types.js';
export { ElfFile, parseElf } from './file.js';
export { ByteReader, badInput, cString, hex } from './reader.js';
