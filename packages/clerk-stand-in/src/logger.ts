export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {} };

export const consoleLogger: Logger = {
  info: (message) => console.log(`[clerk-stand-in] ${message}`),
  warn: (message) => console.warn(`[clerk-stand-in] ${message}`),
};
