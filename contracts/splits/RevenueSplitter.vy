# pragma version ~=0.4.3
# pragma evm-version cancun
"""
@title RevenueSplitter
@custom:contract-name RevenueSplitter
@license MIT
@notice An immutable split of ETH and any ERC-20 between up to 32 payees in
        basis points summing to 10,000. Funds are pushed to every payee at
        once (`distribute`) or pulled by one payee (`claim`).
@dev Every splitter is an EIP-1167 minimal proxy created by the
     `SplitterFactory` with "immutable arguments": the split itself is
     appended to the proxy's runtime code, 22 bytes per payee,

         [45-byte EIP-1167 code][payee 0 (20 bytes)][bps 0 (2 bytes)][payee 1]...

     sorted by ascending payee address and validated by the factory, which
     places the clone at a CREATE2 address derived from these bytes, so that
     identical splits share one address. Nothing about the split is kept in
     storage: reading it costs one warm EXTCODECOPY per payee.

     Accounting is by balance. For each token, `reserved` is the part of the
     balance already credited to payees (`owed`) and the rest is the
     unallocated balance that the next `distribute` or `claim` splits:
     each payee's share is `unallocated * bps // 10_000` and the rounding dust
     (smaller than the number of payees) stays unallocated for the next
     round. Fee-on-transfer tokens are therefore accounted for by what the
     splitter actually holds, never by what was sent to it.

     A push is a call with a bounded gas budget (`ETH_PUSH_GAS`,
     `TOKEN_PUSH_GAS`) that must not revert: a payee that reverts or burns its
     budget cannot block the others; its share is credited to `owed` and stays
     claimable. `distribute` and `claim` share one (transient) reentrancy lock.

     Sanctions: the implementation is deployed with the suite's compliance
     registry (`REGISTRY`, an immutable every clone reads). `distribute`
     pushes nothing to a payee the registry flags as sanctioned: its share is
     credited to it instead (`Withheld`), kept, not lost, and `claim` refuses
     to pay it out while the flag stands. Payees need no KYC (an agent, a
     school collective); only the sanctions flag is asked.
"""

from ethereum.ercs import IERC20


interface IComplianceRegistry:
    def isSanctioned(wallet: address) -> bool: view


# @dev The largest number of payees of a split.
MAX_PAYEES: public(constant(uint256)) = 32

# @dev The sum of the shares of a split, in basis points.
TOTAL_BPS: public(constant(uint256)) = 10_000

# @dev Gas given to a payee receiving ETH from `distribute`: enough for a
# smart-contract wallet's `receive`, too little to do harm.
ETH_PUSH_GAS: public(constant(uint256)) = 10_000

# @dev Gas given to an ERC-20 `transfer` during `distribute`.
TOKEN_PUSH_GAS: public(constant(uint256)) = 100_000

# @dev The length of the EIP-1167 runtime code before the split's bytes.
_CLONE_CODE_SIZE: constant(uint256) = 45

# @dev The length of one payee's record: a 20-byte address and 2-byte bps.
_RECORD_SIZE: constant(uint256) = 22

# @dev Gas kept back on top of a push's budget, so that the 63/64 rule can
# never starve a push (which would wrongly credit the payee instead).
_PUSH_OVERHEAD: constant(uint256) = 20_000

# @dev The low 16 bits of a record word shifted right by 80: the basis points.
_BPS_MASK: constant(uint256) = 65535

_TRANSFER_SELECTOR: constant(Bytes[4]) = method_id("transfer(address,uint256)")


# @dev The address of the implementation, which holds no split and refuses
# every state-changing call (only its clones split money).
_IMPLEMENTATION: immutable(address)

# @dev The compliance registry asked whether a payee is sanctioned.
REGISTRY: public(immutable(address))


# @dev The part of the splitter's balance of each token (`empty(address)` for
# ETH) that is credited to payees and waits for them to claim it.
reserved: public(HashMap[address, uint256])

# @dev What each payee may claim, per token.
owed: public(HashMap[address, HashMap[address, uint256]])


# @dev Emitted when the splitter receives ETH.
event Received:
    sender: indexed(address)
    amount: uint256


# @dev Emitted when `distribute` splits `amount` of `token` between the
# payees (pushed, or credited when a push fails).
event Distributed:
    token: indexed(address)
    amount: uint256
    caller: indexed(address)


# @dev Emitted when a push of `amount` of `token` to `payee` failed and the
# amount was credited to the payee instead.
event PushFailed:
    token: indexed(address)
    payee: indexed(address)
    amount: uint256


# @dev Emitted when `distribute` credits `amount` of `token` to `payee`
# instead of pushing it, because the registry flags the payee as sanctioned.
event Withheld:
    token: indexed(address)
    payee: indexed(address)
    amount: uint256


# @dev Emitted when `claim` credits `amount` of `token` to the payees.
event Allocated:
    token: indexed(address)
    amount: uint256


# @dev Emitted when `payee` receives `amount` of `token` it was owed.
event Claimed:
    token: indexed(address)
    payee: indexed(address)
    amount: uint256


@deploy
def __init__(registry: address):
    """
    @dev Records the implementation's own address, so that it refuses to
         act as a splitter, and the compliance registry its clones ask.
    @param registry The compliance registry (a contract).
    """
    assert registry.is_contract, "splitter: registry is not a contract"
    _IMPLEMENTATION = self
    REGISTRY = registry


@external
@payable
def __default__():
    """
    @dev Accepts ETH (with or without calldata).
    """
    log Received(sender=msg.sender, amount=msg.value)


@external
@nonreentrant
def distribute(token: address):
    """
    @dev Splits the unallocated balance of `token` (`empty(address)` for
         ETH) between the payees and pushes each share. A share whose push
         fails, or whose payee is sanctioned, stays claimable by its payee.
         Rounding dust stays unallocated.
    @notice Anyone may call. Reverts when there is nothing to distribute.
    @param token The ERC-20 token, or `empty(address)` for ETH.
    """
    n: uint256 = self._count()
    reserved: uint256 = self.reserved[token]
    available: uint256 = self._unallocated(token, reserved)
    assert available != 0, "splitter: nothing to distribute"

    me: address = self
    failed: uint256 = 0
    total: uint256 = 0
    for i: uint256 in range(n, bound=MAX_PAYEES):
        word: uint256 = convert(convert(slice(me.code, _CLONE_CODE_SIZE + i * _RECORD_SIZE, _RECORD_SIZE), bytes32), uint256)
        share: uint256 = available * ((word >> 80) & _BPS_MASK) // TOTAL_BPS
        if share == 0:
            continue
        payee: address = convert(word >> 96, address)
        if staticcall IComplianceRegistry(REGISTRY).isSanctioned(payee):
            self.owed[token][payee] += share
            failed += share
            log Withheld(token=token, payee=payee, amount=share)
        elif not self._push(token, payee, share):
            self.owed[token][payee] += share
            failed += share
            log PushFailed(token=token, payee=payee, amount=share)
        total += share

    if failed != 0:
        self.reserved[token] = reserved + failed
    log Distributed(token=token, amount=total, caller=msg.sender)


@external
@nonreentrant
def allocate(token: address) -> uint256:
    """
    @dev Credits every payee its share of the unallocated balance of `token`
         without sending anything: each payee then takes what it is owed
         with `claim`. A round costs a storage update per payee instead of a
         transfer per payee. Rounding dust stays unallocated.
    @notice Anyone may call. Reverts when there is nothing to allocate.
    @param token The ERC-20 token, or `empty(address)` for ETH.
    @return uint256 The amount credited.
    """
    before: uint256 = self.reserved[token]
    after: uint256 = self._allocate(token)
    assert after != before, "splitter: nothing to allocate"
    return after - before


@external
@nonreentrant
def claim(token: address, payee: address) -> uint256:
    """
    @dev Credits every payee its share of the unallocated balance of `token`,
         then sends `payee` everything it is owed (with all remaining gas).
    @notice Anyone may call; the money always goes to `payee`, never while
            the registry flags it as sanctioned.
    @param token The ERC-20 token, or `empty(address)` for ETH.
    @param payee The payee to pay.
    @return uint256 The amount sent.
    """
    assert not staticcall IComplianceRegistry(REGISTRY).isSanctioned(payee), "splitter: payee sanctioned"
    reserved: uint256 = self._allocate(token)
    amount: uint256 = self.owed[token][payee]
    assert amount != 0, "splitter: nothing to claim"
    self.owed[token][payee] = 0
    self.reserved[token] = reserved - amount
    if token == empty(address):
        raw_call(payee, b"", value=amount)
    else:
        success: bool = False
        response: Bytes[32] = b""
        success, response = raw_call(
            token,
            abi_encode(payee, amount, method_id=_TRANSFER_SELECTOR),
            max_outsize=32,
            revert_on_failure=False,
        )
        assert success and (len(response) == 0 or abi_decode(response, bool)), "splitter: transfer failed"
    log Claimed(token=token, payee=payee, amount=amount)
    return amount


@external
@view
def claimable(token: address, payee: address) -> uint256:
    """
    @dev What `claim(token, payee)` would send now: what the payee is owed
         plus its share of the unallocated balance.
    @param token The ERC-20 token, or `empty(address)` for ETH.
    @param payee The payee.
    @return uint256 The amount.
    """
    return self.owed[token][payee] + self._unallocated(token, self.reserved[token]) * self._bps_of(payee) // TOTAL_BPS


@external
@view
def unallocated(token: address) -> uint256:
    """
    @dev The part of the balance of `token` that the next round splits
         (new income plus the previous rounds' dust).
    @param token The ERC-20 token, or `empty(address)` for ETH.
    @return uint256 The amount.
    """
    return self._unallocated(token, self.reserved[token])


@external
@view
def payees() -> DynArray[address, MAX_PAYEES]:
    """
    @dev The payees, in ascending address order.
    @return DynArray The payees.
    """
    result: DynArray[address, MAX_PAYEES] = []
    for i: uint256 in range(self._count(), bound=MAX_PAYEES):
        result.append(convert(self._record(i) >> 96, address))
    return result


@external
@view
def shares() -> DynArray[uint256, MAX_PAYEES]:
    """
    @dev The payees' shares in basis points, in the order of `payees()`.
    @return DynArray The shares.
    """
    result: DynArray[uint256, MAX_PAYEES] = []
    for i: uint256 in range(self._count(), bound=MAX_PAYEES):
        result.append((self._record(i) >> 80) & _BPS_MASK)
    return result


@external
@view
def shareOf(payee: address) -> uint256:
    """
    @dev The share of `payee` in basis points, 0 when it is not a payee.
    @param payee The address.
    @return uint256 The share.
    """
    return self._bps_of(payee)


@external
@view
def payeeCount() -> uint256:
    """
    @dev The number of payees.
    @return uint256 The count.
    """
    return self._count()


@internal
@view
def _count() -> uint256:
    """
    @dev The number of payees, from the length of the clone's code. Reverts
         on the implementation itself.
    """
    assert self != _IMPLEMENTATION, "splitter: not a clone"
    me: address = self
    return (me.codesize - _CLONE_CODE_SIZE) // _RECORD_SIZE


@internal
@view
def _record(i: uint256) -> uint256:
    """
    @dev Payee `i`'s record as a word: the address in the top 20 bytes,
         the basis points in the next 2.
    """
    me: address = self
    return convert(convert(slice(me.code, _CLONE_CODE_SIZE + i * _RECORD_SIZE, _RECORD_SIZE), bytes32), uint256)


@internal
@view
def _bps_of(payee: address) -> uint256:
    for i: uint256 in range(self._count(), bound=MAX_PAYEES):
        word: uint256 = self._record(i)
        if convert(word >> 96, address) == payee:
            return (word >> 80) & _BPS_MASK
    return 0


@internal
@view
def _unallocated(token: address, reserved: uint256) -> uint256:
    """
    @dev The balance of `token` minus what is reserved for payees (zero if
         a token with transfer fees left the balance short of it).
    """
    balance: uint256 = 0
    if token == empty(address):
        balance = self.balance
    else:
        assert token.is_contract, "splitter: token is not a contract"
        balance = staticcall IERC20(token).balanceOf(self)
    if balance <= reserved:
        return 0
    return balance - reserved


@internal
def _allocate(token: address) -> uint256:
    """
    @dev Credits every payee its share of the unallocated balance of
         `token`; the dust stays unallocated. Returns the new reserve.
    """
    n: uint256 = self._count()
    reserved: uint256 = self.reserved[token]
    available: uint256 = self._unallocated(token, reserved)
    total: uint256 = 0
    for i: uint256 in range(n, bound=MAX_PAYEES):
        word: uint256 = self._record(i)
        share: uint256 = available * ((word >> 80) & _BPS_MASK) // TOTAL_BPS
        if share != 0:
            payee: address = convert(word >> 96, address)
            self.owed[token][payee] += share
            total += share
    if total != 0:
        reserved += total
        self.reserved[token] = reserved
        log Allocated(token=token, amount=total)
    return reserved


@internal
def _push(token: address, payee: address, amount: uint256) -> bool:
    """
    @dev Sends `amount` of `token` to `payee` with a bounded gas budget;
         returns whether it arrived. Reverts (the whole distribution) when
         the caller left too little gas for the budget to be honoured.
    """
    if token == empty(address):
        assert msg.gas >= ETH_PUSH_GAS + _PUSH_OVERHEAD, "splitter: out of gas"
        return raw_call(payee, b"", value=amount, gas=ETH_PUSH_GAS, revert_on_failure=False)
    assert msg.gas >= TOKEN_PUSH_GAS + TOKEN_PUSH_GAS // 63 + _PUSH_OVERHEAD, "splitter: out of gas"
    success: bool = False
    response: Bytes[32] = b""
    success, response = raw_call(
        token,
        abi_encode(payee, amount, method_id=_TRANSFER_SELECTOR),
        max_outsize=32,
        gas=TOKEN_PUSH_GAS,
        revert_on_failure=False,
    )
    if not success:
        return False
    if len(response) == 0:
        return True
    if len(response) != 32:
        return False
    return convert(response, uint256) == 1
