-- rudp.lua: a Wireshark dissector for the RUDP lab protocol, version 1.
--
-- The wire format is docs/PROTOCOL.md; every field here is named as it is there.
-- Use it for one run:      tshark -X lua_script:tools/wireshark/rudp.lua -r FILE
--                          wireshark -X lua_script:tools/wireshark/rudp.lua FILE
-- or install it for good:  mkdir -p ~/.local/lib/wireshark/plugins
--                          cp tools/wireshark/rudp.lua ~/.local/lib/wireshark/plugins/
--
-- No port setting is needed: a heuristic on UDP claims a datagram whose first packet has
-- version 1, a known type, a length that agrees with its header and a matching CRC32C, and
-- then the rest of that UDP conversation (so a corrupted packet is still shown, flagged).
-- A datagram may hold several packets back to back (a capture on the sending host of a GSO
-- send): each packet says its length (36 + 8 x SACK count + payload length), so the dissector
-- walks the datagram and shows each packet as its own subtree.
--
-- Written for Lua 5.2 (Wireshark up to 4.2, with bit32) and Lua 5.3/5.4 (native operators).

local rudp = Proto("rudplab", "RUDP lab protocol")

---------------------------------------------------------------------------------------------
-- Bitwise operations. Lua 5.2 has only the bit32 library and 5.4 only the operators, which
-- 5.2 cannot even parse: so the operators are compiled from a string where bit32 is missing.
-- (Wireshark's own `bit` library returns signed numbers, which would break the CRC's compare.)
local band, bxor, rshift
if bit32 then
    band, bxor, rshift = bit32.band, bit32.bxor, bit32.rshift
else
    band, bxor, rshift = load([[
        return function(a, b) return a & b end,
               function(a, b) return a ~ b end,
               function(a, n) return a >> n end
    ]])()
end

-- CRC-32C (Castagnoli; polynomial 0x1EDC6F41 processed reflected as 0x82F63B78, initial and
-- final XOR 0xFFFFFFFF), as RFC 3720; one table lookup per byte.
local crc_table = {}
for i = 0, 255 do
    local c = i
    for _ = 1, 8 do
        if band(c, 1) == 1 then c = bxor(rshift(c, 1), 0x82F63B78) else c = rshift(c, 1) end
    end
    crc_table[i] = c
end

local function crc32c(bytes)
    local crc = 0xFFFFFFFF
    for i = 1, #bytes do
        crc = bxor(crc_table[band(bxor(crc, bytes:byte(i)), 0xFF)], rshift(crc, 8))
    end
    return bxor(crc, 0xFFFFFFFF)
end

---------------------------------------------------------------------------------------------
-- Constants of docs/PROTOCOL.md section 2.

local HEADER = 32          -- fixed header
local OVERHEAD = 36        -- fixed header + CRC32C
local SACK_BLOCK = 8
local MAX_SACK = 32

local TYPE_NAMES = { [1] = "SYN", [2] = "SYN-ACK", [3] = "DATA", [4] = "ACK", [5] = "FIN", [6] = "FIN-ACK", [7] = "RST",
    [9] = "PATH-CHALLENGE", [10] = "PATH-RESPONSE" }
local MODE_NAMES = { [1] = "sw", [2] = "gbn", [3] = "sr" }
local MODE_LONG = { [1] = "stop-and-wait (sw)", [2] = "Go-Back-N (gbn)", [3] = "Selective Repeat (sr)" }
local RESET_NAMES = {
    [1] = "unsafe name", [2] = "file exists", [3] = "integrity failure", [4] = "receiver I/O error",
    [5] = "idle timeout", [6] = "cancelled", [7] = "unknown connection", [8] = "protocol violation",
    [9] = "busy", [10] = "sender I/O error", [65535] = "other",
}
local CRC_STATUS = { [0] = "Bad", [1] = "Good" }

---------------------------------------------------------------------------------------------
-- Fields, filterable as rudp.* (rudp.type == 3, rudp.seq, rudp.crc.status == 0, ...).

local f = {
    version      = ProtoField.uint8("rudp.version", "Version", base.DEC),
    type         = ProtoField.uint8("rudp.type", "Type", base.DEC, TYPE_NAMES),
    flags        = ProtoField.uint8("rudp.flags", "Flags", base.HEX),
    flag_ack_now = ProtoField.bool("rudp.flags.ack_now", "ACK-NOW", 8, nil, 0x01),
    flag_redundant = ProtoField.bool("rudp.flags.redundant", "REDUNDANT", 8, nil, 0x02),
    sack_count   = ProtoField.uint8("rudp.sack_count", "SACK count", base.DEC),
    conn_id      = ProtoField.uint32("rudp.conn_id", "Connection ID", base.HEX),
    seq          = ProtoField.uint32("rudp.seq", "Sequence Number", base.DEC),
    ack          = ProtoField.uint32("rudp.ack", "Acknowledgement Number", base.DEC),
    window       = ProtoField.uint32("rudp.window", "Receive Window", base.DEC),
    timestamp    = ProtoField.uint32("rudp.ts", "Timestamp", base.DEC),
    echo         = ProtoField.uint32("rudp.ts_echo", "Timestamp Echo", base.DEC),
    len          = ProtoField.uint16("rudp.len", "Payload Length", base.DEC),
    reserved     = ProtoField.uint16("rudp.reserved", "Reserved", base.HEX),
    sack         = ProtoField.none("rudp.sack", "SACK block"),
    sack_start   = ProtoField.uint32("rudp.sack.start", "Start", base.DEC),
    sack_end     = ProtoField.uint32("rudp.sack.end", "End", base.DEC),
    payload      = ProtoField.bytes("rudp.payload", "Payload"),
    crc          = ProtoField.uint32("rudp.crc", "CRC32C", base.HEX),
    crc_computed = ProtoField.uint32("rudp.crc.computed", "CRC32C computed", base.HEX),
    crc_status   = ProtoField.uint8("rudp.crc.status", "CRC32C status", base.DEC, CRC_STATUS),
    packet_len   = ProtoField.uint32("rudp.packet_len", "Packet length", base.DEC),
    data_index   = ProtoField.uint32("rudp.index", "Packet index (Sequence - ISN - 1)", base.DEC),
    ack_index    = ProtoField.uint32("rudp.ack_index", "Acknowledged index (Ack - ISN - 1)", base.DEC),
    index        = ProtoField.uint32("rudp.datagram.index", "Packet in datagram", base.DEC),
    count        = ProtoField.uint32("rudp.datagram.packets", "Packets in datagram", base.DEC),

    syn_mode     = ProtoField.uint8("rudp.syn.mode", "Mode", base.DEC, MODE_LONG),
    syn_flags    = ProtoField.uint8("rudp.syn.flags", "SYN flags", base.HEX),
    syn_unordered = ProtoField.bool("rudp.syn.flags.unordered", "Unordered delivery", 8, nil, 0x01),
    syn_budget   = ProtoField.bool("rudp.syn.flags.retry_budget", "Retry budget follows the name", 8, nil, 0x02),
    syn_redundant = ProtoField.bool("rudp.syn.flags.redundant", "DATA may carry redundant copies", 8, nil, 0x04),
    syn_path     = ProtoField.bool("rudp.syn.flags.path_challenges", "Sender answers path challenges", 8, nil, 0x20),
    path_data    = ProtoField.uint64("rudp.path.data", "Challenge data", base.HEX),
    syn_early_flag = ProtoField.bool("rudp.syn.flags.early_data", "Early data follows (0-RTT)", 8, nil, 0x08),
    syn_token_flag = ProtoField.bool("rudp.syn.flags.token", "Address-validation token follows", 8, nil, 0x10),
    syn_mss      = ProtoField.uint16("rudp.syn.mss", "MSS", base.DEC),
    syn_window   = ProtoField.uint32("rudp.syn.window", "Window", base.DEC),
    syn_size     = ProtoField.uint64("rudp.syn.file_size", "File size", base.DEC),
    syn_name_len = ProtoField.uint16("rudp.syn.name_len", "Name length", base.DEC),
    syn_name     = ProtoField.string("rudp.syn.name", "Name"),
    syn_retries  = ProtoField.uint16("rudp.syn.retries", "Retries", base.DEC),
    syn_largest  = ProtoField.uint32("rudp.syn.largest_timeout", "Largest timeout (us)", base.DEC),
    syn_token_len = ProtoField.uint8("rudp.syn.token_len", "Token length", base.DEC),
    syn_token    = ProtoField.bytes("rudp.syn.token", "Token"),
    syn_early_len = ProtoField.uint16("rudp.syn.early_len", "Early data length", base.DEC),
    syn_early    = ProtoField.bytes("rudp.syn.early_data", "Early data (DATA ISN + 1, replayable)"),

    synack_mss   = ProtoField.uint16("rudp.synack.mss", "MSS granted", base.DEC),
    synack_flags = ProtoField.uint16("rudp.synack.flags", "SYN-ACK flags", base.HEX),
    synack_took  = ProtoField.bool("rudp.synack.flags.early_data_taken", "EARLY-DATA-TAKEN", 16, nil, 0x0001),
    synack_token_flag = ProtoField.bool("rudp.synack.flags.token", "TOKEN", 16, nil, 0x0002),
    synack_response_flag = ProtoField.bool("rudp.synack.flags.response", "RESPONSE", 16, nil, 0x0004),
    synack_follows = ProtoField.bool("rudp.synack.flags.response_follows", "RESPONSE-FOLLOWS", 16, nil, 0x0008),
    synack_window = ProtoField.uint32("rudp.synack.window", "Window granted", base.DEC),
    synack_token_len = ProtoField.uint8("rudp.synack.token_len", "Token length", base.DEC),
    synack_token = ProtoField.bytes("rudp.synack.token", "Token"),
    synack_response_len = ProtoField.uint16("rudp.synack.response_len", "Response length", base.DEC),
    synack_response = ProtoField.bytes("rudp.synack.response", "Response"),
    finack_response = ProtoField.bytes("rudp.finack.response", "Response (it followed)"),

    fin_size     = ProtoField.uint64("rudp.fin.file_size", "File size", base.DEC),
    fin_sha256   = ProtoField.bytes("rudp.fin.sha256", "SHA-256"),
    fin_rto      = ProtoField.uint32("rudp.fin.rto", "Retransmission timeout (us)", base.DEC),

    rst_code     = ProtoField.uint16("rudp.rst.code", "Reason code", base.DEC, RESET_NAMES),
    rst_message  = ProtoField.string("rudp.rst.message", "Message"),

    red_count    = ProtoField.uint8("rudp.redundant.count", "Copies", base.DEC),
    red_copy     = ProtoField.none("rudp.redundant.copy", "Copy"),
    red_distance = ProtoField.uint16("rudp.redundant.distance", "Distance", base.DEC),
    red_length   = ProtoField.uint16("rudp.redundant.length", "Length", base.DEC),
    red_seq      = ProtoField.uint32("rudp.redundant.seq", "Sequence Number of the copy", base.DEC),
    red_data     = ProtoField.bytes("rudp.redundant.data", "Copy data"),
    red_primary  = ProtoField.bytes("rudp.redundant.primary", "Own data"),
}
local field_list = {}
for _, field in pairs(f) do field_list[#field_list + 1] = field end
rudp.fields = field_list

local ef = {
    crc_bad   = ProtoExpert.new("rudp.crc.bad", "CRC32C mismatch: the packet was corrupted",
                                expert.group.CHECKSUM, expert.severity.ERROR),
    crc_good  = ProtoExpert.new("rudp.crc.good", "CRC32C matches", expert.group.CHECKSUM, expert.severity.CHAT),
    malformed = ProtoExpert.new("rudp.malformed", "Malformed RUDP packet", expert.group.MALFORMED, expert.severity.ERROR),
    reserved  = ProtoExpert.new("rudp.reserved.nonzero", "Reserved bits set", expert.group.PROTOCOL, expert.severity.WARN),
}
rudp.experts = { ef.crc_bad, ef.crc_good, ef.malformed, ef.reserved }

---------------------------------------------------------------------------------------------
-- Splitting a datagram into packets.

-- The length the header at `offset` announces, or nil when fewer than 36 bytes remain there.
local function announced_length(tvb, offset)
    if tvb:len() - offset < OVERHEAD then return nil end
    return OVERHEAD + SACK_BLOCK * tvb(offset + 3, 1):uint() + tvb(offset + 28, 2):uint()
end

-- The lengths of the packets in the datagram: each as announced while that fits; what is left
-- (a corrupted length field, a truncated packet) is one last, malformed piece.
local function split(tvb)
    local pieces, offset, total = {}, 0, tvb:len()
    while offset < total do
        local length = announced_length(tvb, offset)
        local fits = length ~= nil and length <= total - offset
        pieces[#pieces + 1] = { offset = offset, length = fits and length or total - offset, whole = fits }
        offset = offset + pieces[#pieces].length
    end
    return pieces
end

-- Whether the CRC32C at the end of the `length` bytes at `offset` matches; and both values.
local function check_crc(tvb, offset, length)
    local carried = tvb(offset + length - 4, 4):uint()
    local computed = crc32c(tvb:raw(offset, length - 4))
    return carried == computed, carried, computed
end

---------------------------------------------------------------------------------------------
-- Payloads (docs/PROTOCOL.md section 3). Each returns words for the summary, or nil.

local function malformed(tree, tvb, offset, length, why)
    tree:add_proto_expert_info(ef.malformed, why)
    return nil
end

local function dissect_syn(tvb, offset, length, tree)
    if length < 18 then return malformed(tree, tvb, offset, length, "SYN payload shorter than 18 bytes") end
    local t = tree:add(rudp, tvb(offset, length), "SYN payload")
    local mode = tvb(offset, 1):uint()
    t:add(f.syn_mode, tvb(offset, 1))
    local flags_item = t:add(f.syn_flags, tvb(offset + 1, 1))
    flags_item:add(f.syn_unordered, tvb(offset + 1, 1))
    flags_item:add(f.syn_budget, tvb(offset + 1, 1))
    flags_item:add(f.syn_redundant, tvb(offset + 1, 1))
    flags_item:add(f.syn_path, tvb(offset + 1, 1))
    flags_item:add(f.syn_early_flag, tvb(offset + 1, 1))
    flags_item:add(f.syn_token_flag, tvb(offset + 1, 1))
    local flags = tvb(offset + 1, 1):uint()
    -- Bits 3 and 4 are 0-RTT's; bit 5 is path validation's.
    if band(flags, 0xC0) ~= 0 then flags_item:add_proto_expert_info(ef.reserved, "SYN flags: bits not defined") end
    local mss = tvb(offset + 2, 2):uint()
    local window = tvb(offset + 4, 4):uint()
    t:add(f.syn_mss, tvb(offset + 2, 2))
    t:add(f.syn_window, tvb(offset + 4, 4))
    local size_item = t:add(f.syn_size, tvb(offset + 8, 8))
    if tvb:raw(offset + 8, 8) == string.rep("\255", 8) then size_item:append_text(" (unknown: standard input)") end
    local name_length = tvb(offset + 16, 2):uint()
    t:add(f.syn_name_len, tvb(offset + 16, 2))
    local words = string.format("SYN %s mss=%d win=%d", MODE_NAMES[mode] or ("mode " .. mode), mss, window)
    if 18 + name_length > length then
        return malformed(t, tvb, offset, length, "SYN name runs past the payload") or words
    end
    if name_length > 0 then
        t:add(f.syn_name, tvb(offset + 18, name_length))
        words = words .. " name=" .. tvb(offset + 18, name_length):string()
    end
    local rest = offset + 18 + name_length
    if band(flags, 0x02) ~= 0 then
        if offset + length - rest < 6 then return malformed(t, tvb, offset, length, "SYN retry budget truncated") or words end
        t:add(f.syn_retries, tvb(rest, 2))
        t:add(f.syn_largest, tvb(rest + 2, 4))
        rest = rest + 6
    end
    if band(flags, 0x10) ~= 0 then
        if offset + length - rest < 1 then return malformed(t, tvb, offset, length, "SYN token length missing") or words end
        local token_length = tvb(rest, 1):uint()
        t:add(f.syn_token_len, tvb(rest, 1))
        if token_length > 64 or offset + length - rest - 1 < token_length then
            return malformed(t, tvb, offset, length, "SYN token over 64 bytes or truncated") or words
        end
        if token_length > 0 then t:add(f.syn_token, tvb(rest + 1, token_length)) end
        words = words .. (token_length > 0 and " token" or " asks-token")
        rest = rest + 1 + token_length
    end
    if band(flags, 0x08) ~= 0 then
        if offset + length - rest < 2 then return malformed(t, tvb, offset, length, "SYN early data length missing") or words end
        local early_length = tvb(rest, 2):uint()
        t:add(f.syn_early_len, tvb(rest, 2))
        if early_length < 1 or early_length > mss or early_length > 4096 or offset + length - rest - 2 < early_length then
            return malformed(t, tvb, offset, length, "SYN early data empty, over the MSS or 4096, or truncated") or words
        end
        t:add(f.syn_early, tvb(rest + 2, early_length))
        words = words .. string.format(" early=%d", early_length)
        rest = rest + 2 + early_length
    end
    if rest ~= offset + length then malformed(t, tvb, offset, length, "bytes after the SYN payload") end
    return words
end

local function dissect_synack(tvb, offset, length, tree)
    if length < 8 then return malformed(tree, tvb, offset, length, "SYN-ACK payload shorter than 8 bytes") end
    local t = tree:add(rudp, tvb(offset, length), "SYN-ACK payload")
    t:add(f.synack_mss, tvb(offset, 2))
    local flags_item = t:add(f.synack_flags, tvb(offset + 2, 2))
    flags_item:add(f.synack_took, tvb(offset + 2, 2))
    flags_item:add(f.synack_token_flag, tvb(offset + 2, 2))
    flags_item:add(f.synack_response_flag, tvb(offset + 2, 2))
    flags_item:add(f.synack_follows, tvb(offset + 2, 2))
    local flags = tvb(offset + 2, 2):uint()
    if band(flags, 0xFFF0) ~= 0 then flags_item:add_proto_expert_info(ef.reserved, "SYN-ACK flags: bits not defined") end
    t:add(f.synack_window, tvb(offset + 4, 4))
    local words = string.format("SYN-ACK mss=%d win=%d", tvb(offset, 2):uint(), tvb(offset + 4, 4):uint())
    if band(flags, 0x0001) ~= 0 then words = words .. " took-early-data" end
    local rest = offset + 8
    if band(flags, 0x0002) ~= 0 then
        if offset + length - rest < 1 then return malformed(t, tvb, offset, length, "SYN-ACK token length missing") or words end
        local token_length = tvb(rest, 1):uint()
        t:add(f.synack_token_len, tvb(rest, 1))
        if token_length < 1 or token_length > 64 or offset + length - rest - 1 < token_length then
            return malformed(t, tvb, offset, length, "SYN-ACK token empty, over 64 bytes or truncated") or words
        end
        t:add(f.synack_token, tvb(rest + 1, token_length))
        words = words .. " token"
        rest = rest + 1 + token_length
    end
    if band(flags, 0x0004) ~= 0 then
        if band(flags, 0x0008) ~= 0 then malformed(t, tvb, offset, length, "RESPONSE and RESPONSE-FOLLOWS together") end
        if offset + length - rest < 2 then return malformed(t, tvb, offset, length, "SYN-ACK response length missing") or words end
        local response_length = tvb(rest, 2):uint()
        t:add(f.synack_response_len, tvb(rest, 2))
        if response_length < 1 or offset + length - rest - 2 < response_length then
            return malformed(t, tvb, offset, length, "SYN-ACK response empty or truncated") or words
        end
        t:add(f.synack_response, tvb(rest + 2, response_length))
        words = words .. string.format(" response=%d", response_length)
        rest = rest + 2 + response_length
    elseif band(flags, 0x0008) ~= 0 then
        words = words .. " response-follows"
    end
    if rest ~= offset + length then malformed(t, tvb, offset, length, "bytes after the SYN-ACK payload") end
    return words
end

local function dissect_fin(tvb, offset, length, tree)
    if length ~= 44 then return malformed(tree, tvb, offset, length, "FIN payload is not 44 bytes") end
    local t = tree:add(rudp, tvb(offset, length), "FIN payload")
    t:add(f.fin_size, tvb(offset, 8))
    t:add(f.fin_sha256, tvb(offset + 8, 32))
    t:add(f.fin_rto, tvb(offset + 40, 4))
    return "size=" .. tostring(tvb(offset, 8):uint64())
end

local function dissect_rst(tvb, offset, length, tree)
    if length < 2 then return malformed(tree, tvb, offset, length, "RST without its reason code") end
    local t = tree:add(rudp, tvb(offset, length), "RST payload")
    local code = tvb(offset, 2):uint()
    t:add(f.rst_code, tvb(offset, 2))
    local words = string.format("code=%d (%s)", code, RESET_NAMES[code] or "unknown")
    if length > 2 then
        t:add(f.rst_message, tvb(offset + 2, length - 2), tvb(offset + 2, length - 2):string(ENC_UTF_8))
        words = words .. ": " .. tvb(offset + 2, length - 2):string(ENC_UTF_8)
    end
    return words
end

-- Redundant DATA: count, count x {distance, length}, the copies' bytes, the packet's own bytes.
local function dissect_redundant(tvb, offset, length, tree, seq)
    if length < 1 then return malformed(tree, tvb, offset, length, "redundant DATA without its copy count") end
    local count = tvb(offset, 1):uint()
    local t = tree:add(rudp, tvb(offset, length), "Redundant payload")
    t:add(f.red_count, tvb(offset, 1))
    local data = offset + 1 + 4 * count
    if count < 1 or count > 8 or data >= offset + length then
        return malformed(t, tvb, offset, length, "redundant copy count or block headers out of bounds")
    end
    for block = 0, count - 1 do
        local header = offset + 1 + 4 * block
        local distance, copy_length = tvb(header, 2):uint(), tvb(header + 2, 2):uint()
        if copy_length < 1 or data + copy_length >= offset + length then
            return malformed(t, tvb, offset, length, "redundant copy " .. block .. " runs past the packet's own data")
        end
        local copy = t:add(f.red_copy, tvb(header, 4))
        copy:set_text(string.format("Copy %d: distance %d, %d bytes", block + 1, distance, copy_length))
        copy:add(f.red_distance, tvb(header, 2))
        copy:add(f.red_length, tvb(header + 2, 2))
        copy:add(f.red_seq, tvb(header, 2), (seq - distance) % 4294967296):set_generated()
        copy:add(f.red_data, tvb(data, copy_length))
        data = data + copy_length
    end
    t:add(f.red_primary, tvb(data, offset + length - data))
    return "copies=" .. count
end

---------------------------------------------------------------------------------------------
-- Packet indices, as rudp-send --trace and rudp-lab count them: each connection's ISN is taken
-- from its SYN (by connection ID, so both sides of a proxy agree), forgotten with the file.

local initial_sequence = {}
function rudp.init() initial_sequence = {} end

local function index_after(isn, value) return (value - isn - 1) % 4294967296 end

---------------------------------------------------------------------------------------------
-- One packet: header, SACK blocks, payload, CRC. Returns its summary for the info column.

local function dissect_packet(tvb, piece, number, count, tree)
    local o, length = piece.offset, piece.length
    local t = tree:add(rudp, tvb(o, length))
    if count > 1 then
        t:add(f.index, number):set_generated()
        t:add(f.count, count):set_generated()
    end
    t:add(f.packet_len, length):set_generated()
    if length < OVERHEAD then
        t:set_text(string.format("RUDP, %d bytes: too short for a packet", length))
        malformed(t, tvb, o, length, "fewer than 36 bytes")
        return "malformed"
    end

    local version, ptype = tvb(o, 1):uint(), tvb(o + 1, 1):uint()
    local flags, sacks = tvb(o + 2, 1):uint(), tvb(o + 3, 1):uint()
    local seq, ack, window = tvb(o + 8, 4):uint(), tvb(o + 12, 4):uint(), tvb(o + 16, 4):uint()
    local payload_length = tvb(o + 28, 2):uint()
    local type_name = TYPE_NAMES[ptype] or ("type " .. ptype)

    t:add(f.version, tvb(o, 1))
    t:add(f.type, tvb(o + 1, 1))
    local flags_item = t:add(f.flags, tvb(o + 2, 1))
    flags_item:add(f.flag_ack_now, tvb(o + 2, 1))
    flags_item:add(f.flag_redundant, tvb(o + 2, 1))
    t:add(f.sack_count, tvb(o + 3, 1))
    t:add(f.conn_id, tvb(o + 4, 4))
    t:add(f.seq, tvb(o + 8, 4))
    t:add(f.ack, tvb(o + 12, 4))
    t:add(f.window, tvb(o + 16, 4))
    t:add(f.timestamp, tvb(o + 20, 4))
    t:add(f.echo, tvb(o + 24, 4))
    t:add(f.len, tvb(o + 28, 2))
    local reserved_item = t:add(f.reserved, tvb(o + 30, 2))
    if tvb(o + 30, 2):uint() ~= 0 then reserved_item:add_proto_expert_info(ef.reserved) end
    -- Only DATA has flags, and only these two.
    if band(flags, ptype == 3 and 0xFC or 0xFF) ~= 0 then
        flags_item:add_proto_expert_info(ef.reserved, string.format("Flags 0x%02x: bits not defined for %s", flags, type_name))
    end

    -- The CRC first: a bad one means every other field may be wrong.
    local good, carried, computed = check_crc(tvb, o, length)
    local problem
    if version ~= 1 then problem = "version " .. version .. " (only 1 exists)"
    elseif not TYPE_NAMES[ptype] then problem = "unknown type " .. ptype
    elseif sacks > MAX_SACK then problem = sacks .. " SACK blocks (32 at most)"
    elseif not piece.whole or OVERHEAD + SACK_BLOCK * sacks + payload_length ~= length then
        problem = string.format("length %d, but the header announces %d", length, OVERHEAD + SACK_BLOCK * sacks + payload_length)
    end
    if problem then malformed(t, tvb, o, length, problem) end

    local words
    local sack_end = o + HEADER + SACK_BLOCK * sacks
    if not problem then
        for block = 0, sacks - 1 do
            local b = o + HEADER + SACK_BLOCK * block
            local start, stop = tvb(b, 4):uint(), tvb(b + 4, 4):uint()
            local item = t:add(f.sack, tvb(b, 8))
            item:set_text(string.format("SACK block %d: [%d, %d)", block + 1, start, stop))
            item:add(f.sack_start, tvb(b, 4))
            item:add(f.sack_end, tvb(b + 4, 4))
        end
        if payload_length > 0 then t:add(f.payload, tvb(sack_end, payload_length)) end
        local connection = tvb(o + 4, 4):uint()
        if ptype == 1 and good and initial_sequence[connection] == nil then initial_sequence[connection] = seq end
        local isn = initial_sequence[connection]
        if isn and (ptype == 3 or ptype == 5) then t:add(f.data_index, index_after(isn, seq)):set_generated() end
        if isn and (ptype == 4 or ptype == 6) and (ack ~= 0 or window ~= 0) then
            t:add(f.ack_index, index_after(isn, ack)):set_generated()
        end
        local extra
        if ptype == 1 then words = dissect_syn(tvb, sack_end, payload_length, t)
        elseif ptype == 2 then words = dissect_synack(tvb, sack_end, payload_length, t)
        elseif ptype == 3 then
            words = string.format("DATA seq=%d len=%d", seq, payload_length)
            if band(flags, 0x02) ~= 0 then extra = dissect_redundant(tvb, sack_end, payload_length, t, seq) end
            if band(flags, 0x01) ~= 0 then words = words .. " ACK-NOW" end
        elseif ptype == 4 then
            words = string.format("ACK ack=%d win=%d", ack, window)
            if ack == 0 and window == 0 then words = string.format("ACK seq=%d (from the sender)", seq) end
            if sacks > 0 then words = words .. " SACK " .. sacks end
        elseif ptype == 5 then
            words = string.format("FIN seq=%d", seq)
            extra = dissect_fin(tvb, sack_end, payload_length, t)
        elseif ptype == 6 then
            words = string.format("FIN-ACK ack=%d", ack)
            -- A response the SYN-ACK said would follow (0-RTT, docs/PROTOCOL.md 3.1).
            if payload_length > 0 then
                t:add(f.finack_response, tvb(sack_end, payload_length))
                words = words .. string.format(" response=%d", payload_length)
            end
        elseif ptype == 7 then words = "RST"; extra = dissect_rst(tvb, sack_end, payload_length, t)
        elseif ptype == 9 or ptype == 10 then
            -- Exactly 8 bytes of challenge data (docs/PROTOCOL.md §3, path validation).
            if payload_length == 8 then
                t:add(f.path_data, tvb(sack_end, 8))
                words = string.format("%s data=%s", type_name, string.lower(tvb(sack_end, 8):bytes():tohex()))
            else
                words = type_name .. " (malformed: not 8 bytes of data)"
            end
        end
        words = words or type_name
        if extra then words = words .. " " .. extra end
    else
        words = type_name .. " (malformed)"
    end

    local crc_item = t:add(f.crc, tvb(o + length - 4, 4))
    t:add(f.crc_computed, tvb(o + length - 4, 4), computed):set_generated()
    t:add(f.crc_status, tvb(o + length - 4, 4), good and 1 or 0):set_generated()
    if good then
        crc_item:append_text(" [correct]")
        crc_item:add_proto_expert_info(ef.crc_good)
    else
        crc_item:append_text(string.format(" [incorrect, should be 0x%08x]", computed))
        crc_item:add_proto_expert_info(ef.crc_bad)
        words = words .. " [BAD CRC]"
    end

    t:set_text(string.format("RUDP %s, Seq: %d, Ack: %d, Win: %d, Len: %d%s", type_name, seq, ack, window, payload_length,
        good and "" or " [BAD CRC]"))
    return words
end

---------------------------------------------------------------------------------------------
-- The datagram: every packet in it, and one info line naming them all.

function rudp.dissector(tvb, pinfo, tree)
    local pieces = split(tvb)
    if #pieces == 0 then return 0 end
    pinfo.cols.protocol = "RUDP"
    local words = {}
    for number, piece in ipairs(pieces) do
        words[number] = dissect_packet(tvb, piece, number, #pieces, tree)
    end
    local info = table.concat(words, " | ")
    if #pieces > 1 then info = #pieces .. " packets: " .. info end
    pinfo.cols.info = info
    return tvb:len()
end

-- The heuristic: the first packet is well formed and its CRC matches, and the datagram is
-- exactly a run of packets (one, or a GSO super-frame). It then takes the whole conversation.
local function heuristic(tvb, pinfo, tree)
    local length = announced_length(tvb, 0)
    if length == nil or length > tvb:len() then return false end
    if tvb(0, 1):uint() ~= 1 or not TYPE_NAMES[tvb(1, 1):uint()] or tvb(3, 1):uint() > MAX_SACK then return false end
    if not check_crc(tvb, 0, length) then return false end
    for _, piece in ipairs(split(tvb)) do
        if not piece.whole then return false end
    end
    pinfo.conversation = rudp
    rudp.dissector(tvb, pinfo, tree)
    return true
end

rudp:register_heuristic("udp", heuristic)
-- And in "Decode As..." for a capture that begins mid-transfer with corrupted packets.
DissectorTable.get("udp.port"):add_for_decode_as(rudp)
