//! The tabs of the window, one file each, and what the socket tabs share.
//!
//! - socket tabs: `udp`, `tcp_server`, `tcp_client`, `broadcast`, `files` (file transfer),
//!   `relay` (between a client and its server, with network conditions);
//! - their parts: `wire` (link to the workers, the shared log, the status line), `send_box`
//!   (the message box), `generator` (traffic generator), `rules` (response rules), `saved`
//!   (saved packets, shared by all send boxes);
//! - views: `all` (every tab's traffic), `viewer` (an opened capture or log; `viewer_words`
//!   words what its import found), `addresses`
//!   (interfaces, an address inspector, the machine's sockets), `load` (load tests: `socklab bench`
//!   with buttons).

pub mod addresses;
pub mod all;
pub mod broadcast;
pub mod files;
pub mod generator;
pub mod load;
pub mod relay;
pub mod rules;
pub mod saved;
pub mod send_box;
pub mod send_preview;
pub mod tcp_client;
pub mod tcp_server;
pub mod tls;
pub mod udp;
pub mod viewer;
pub mod viewer_words;
pub mod wire;
