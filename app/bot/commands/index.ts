/** The comment parser, where `./commands` imports always found it; the runners are in registry.ts. */
export * from "./parse";
