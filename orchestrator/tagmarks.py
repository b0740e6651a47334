"""The lines of an orch tag's message that anchor it in the receipts: written by `milestones`,
read by `receipts` (verify) and by `gitops` (which tags are orch's). A module of their own, so
`gitops` does not import `receipts`, which imports `gitops` when it verifies tags."""

ROOT_MARKER = "Orch-Receipt-Root:"  # the root hash of the chain heads listed below it
CHAIN_MARKER = "Orch-Chain:"  # "Orch-Chain: <chain> <head hash>", one line per chain
