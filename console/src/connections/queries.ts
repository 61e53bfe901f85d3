export const connectionsKey = ["connections"] as const;
