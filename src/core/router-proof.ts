// The header by which minicloud's API knows a request came through its own router: the router adds it on the
// dashboard's route (with a secret made at each start) and drops any client's copy on every route.
export const ROUTER_PROOF = 'x-minicloud-router';
