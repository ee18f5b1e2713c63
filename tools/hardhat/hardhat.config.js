// Hardhat's node (EDR): the second node implementation the toolkit's tests run against, beside anvil
// (tests/support/livelike.py starts it with the Node 22 that npm installs in the project). Blocks every
// RWA_HARDHAT_BLOCK_MS milliseconds (interval mining: transactions wait in the pool, as on a live
// network); the chain id comes from `node --chain-id`. Nothing is compiled here; what Hardhat writes
// goes to the project's git-ignored .rwa/ folder.
export default {
  paths: { artifacts: "../../.rwa/hardhat/artifacts", cache: "../../.rwa/hardhat/cache" },
  networks: {
    node: {
      type: "edr-simulated",
      chainType: "l1",
      hardfork: "cancun",
      mining: { auto: false, interval: Number(process.env.RWA_HARDHAT_BLOCK_MS ?? 1000) },
    },
  },
};
