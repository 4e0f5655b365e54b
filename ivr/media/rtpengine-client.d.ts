/**
 * Types for the parts of `rtpengine-client` 0.4.12 this service uses (the package ships none).
 * Every command takes the daemon's address first, then the ng dictionary; the promise resolves
 * with the daemon's reply, `result: 'error'` included (rejectOnError is left off).
 */
declare module 'rtpengine-client' {
  import { EventEmitter } from 'node:events';

  export interface NgAddress { port: number; host: string }
  /** An ng protocol dictionary: bencode carries strings, integers, lists and dictionaries. */
  export type NgValue = string | number | NgValue[] | { [key: string]: NgValue };
  export type NgRequest = Record<string, NgValue>;
  export interface NgReply {
    result: 'ok' | 'pong' | 'error' | 'load limit' | string;
    'error-reason'?: string;
    warning?: string;
    sdp?: string;
    /** `play media`: the length of the file, in milliseconds. */
    duration?: number;
    [key: string]: unknown;
  }

  export interface ClientOptions {
    localPort?: number;
    localAddress?: string;
    /** Milliseconds to wait for each reply; on expiry the promise rejects with an RtpEngineError. */
    timeout?: number;
    rejectOnError?: boolean;
  }

  type Command = (dest: NgAddress, request?: NgRequest) => Promise<NgReply>;

  export class Client extends EventEmitter {
    constructor(options?: ClientOptions);
    ping: Command;
    offer: Command;
    answer: Command;
    delete: Command;
    query: Command;
    list: Command;
    playMedia: Command;
    stopMedia: Command;
    playDTMF: Command;
    blockDTMF: Command;
    unblockDTMF: Command;
    blockMedia: Command;
    unblockMedia: Command;
    statistics: Command;
    close(): void;
  }

  export class RtpEngineError extends Error {}
}
