//! Import of JSONL logs and pcap captures (in progress).
