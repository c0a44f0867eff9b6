/**
 * The words a prediction is asked in: how its input is laid out and how its
 * members' outputs are combined. The engines, the combiners, the CLI and
 * every face of the API take them from here.
 */

/**
 * `shared`: one minibatch `[B, ...]` for every member (vmap `in_dims=None`).
 * `per-member`: one minibatch per member, `[N, B, ...]` (vmap `in_dims=0`).
 */
export const inputModes = ['shared', 'per-member'] as const;
export type InputMode = (typeof inputModes)[number];

/**
 * `none`: the members' outputs only; `mean`; `mean-softmax`: the average of
 * the members' probabilities; `vote`: the majority class; `weighted`: a
 * weighted average, one weight per member.
 */
export const combineModes = ['none', 'mean', 'mean-softmax', 'vote', 'weighted'] as const;
export type CombineMode = (typeof combineModes)[number];
