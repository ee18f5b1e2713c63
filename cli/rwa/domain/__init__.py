"""What the suite's users do, one module per product: KYC, properties (factory, token, compliance),
dividends, offerings, the market, NIL vaults, deals and splits, fans' payments; no Click here."""
