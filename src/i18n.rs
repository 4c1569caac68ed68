//! Every user-visible string, in English and Simplified Chinese, in one place.
//!
//! The `strings!` table makes a missing translation a compile error. Templates use `{0}`, `{1}`…
//! filled by [`fill`].

use crate::engine::Problem;
use crate::engine::problem::Op;

/// The UI language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    pub fn tr(self) -> &'static Tr {
        match self {
            Lang::En => &EN,
            Lang::Zh => &ZH,
        }
    }

    /// The language's own name, for the menu.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "简体中文",
        }
    }

    /// `en`, `zh-CN`, `zh_CN.UTF-8`, … (as in `LANG`).
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// From the environment (`LC_ALL`, `LC_MESSAGES`, `LANG`), English if unknown.
    pub fn from_env() -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .find(|v| !v.is_empty())
            .and_then(|v| Lang::parse(&v))
            .unwrap_or_default()
    }
}

macro_rules! strings {
    ($($key:ident : $en:literal , $zh:literal ;)*) => {
        /// One language's strings.
        pub struct Tr { $(pub $key: &'static str,)* }
        pub const EN: Tr = Tr { $($key: $en,)* };
        pub const ZH: Tr = Tr { $($key: $zh,)* };
    };
}

strings! {
    tab_udp: "UDP", "UDP";
    tab_tcp_server: "TCP Server", "TCP 服务器";
    tab_tcp_client: "TCP Client", "TCP 客户端";
    tab_broadcast: "Broadcast", "广播";
    tab_viewer: "Open log", "打开日志";
    tab_all: "All traffic", "全部流量";
    new_instance: "New {0}", "新建{0}";
    new_instance_tip: "Open another instance of a tab, e.g. a second TCP client: each has its own socket, name and colour in the log.", "再打开一个标签页实例,例如第二个 TCP 客户端:每个都有自己的套接字、名称,以及在日志中的颜色。";
    instances: "More tabs:", "更多标签页:";
    close_instance: "Close", "关闭";
    side_by_side: "Side by side", "并排显示";
    side_by_side_tip: "Show another tab next to the active one, e.g. the server on the left and a client on the right.", "在当前标签页旁边显示另一个标签页,例如左边服务器、右边客户端。";
    side_by_side_none: "Off", "关闭";
    about: "About SockLab", "关于 SockLab";
    saved: "Saved…", "已存…";
    rules_button: "Rules…", "规则…";
    gen_title: "Traffic generator", "流量发生器";
    gen_size: "Size (bytes)", "大小(字节)";
    gen_size_tip: "Every datagram has this size: the message above repeated (or cut) to fit, or a filler if the message box is empty.", "每个数据报都是这个大小:上面的消息重复(或截断)填满,消息框为空时用填充文本。";
    gen_rate: "Rate", "速率";
    gen_pps: "datagrams/s", "数据报/秒";
    gen_bps: "bytes/s", "字节/秒";
    gen_max: "as fast as possible", "尽可能快";
    gen_count: "Count", "个数";
    gen_seconds: "at most (s)", "最长(秒)";
    gen_start: "Generate", "开始发送";
    gen_stop: "Stop", "停止";
    gen_tip: "Sends to the remote address until the count is reached or the time is up, whichever comes first. Every datagram is logged and counted.", "向目标地址发送,直到达到个数或时间用完(先到为准)。每个数据报都会记录和计数。";
    gen_progress: "sent {0} of {1} datagrams, {2} bytes; achieved {3} datagrams/s, {4} Mbit/s", "已发送 {0}/{1} 个数据报,{2} 字节;实际 {3} 个/秒,{4} Mbit/s";
    nodelay_tip: "TCP_NODELAY turns Nagle's algorithm off: small writes leave at once instead of waiting to be merged with the next ones while an acknowledgement is outstanding. Left on (the default), quick small sends can travel together, one more reason for sticky packets.", "TCP_NODELAY 关闭 Nagle 算法:小块数据立即发出,而不是在等待确认时攒起来和后面的数据合并发送。保持默认(开启 Nagle)时,连续的小块发送可能合并传输,这也是粘包的原因之一。";
    rules_button_active: "Rules ({0})", "规则({0})";
    rules_tip: "Response rules: when a message matches (exact text, contains, regex or hex prefix), reply with a template. While rules are in force they answer instead of the auto-reply mode.", "响应规则:收到的消息匹配(完全相同、包含、正则或十六进制前缀)时按模板回复。规则生效时代替自动回复模式作答。";
    rules_title: "Response rules", "响应规则";
    rules_help: "One rule per line: MATCH => REPLY. MATCH is exact:TEXT, contains:TEXT, regex:RE, hex:01 02 or * (anything); the first rule that matches answers. REPLY is text with escapes (\\r \\n \\xHH) and {text} {upper} {lower} {raw} {hex} {len} {peer} {time} {1}..{9}; add ; close to close the connection, or write close alone. greeting => TEXT is sent when a client connects.", "每行一条规则:匹配 => 回复。匹配写成 exact:文本、contains:文本、regex:正则、hex:01 02 或 *(任意);第一条匹配的规则作答。回复是文本,可用转义(\\r \\n \\xHH)和 {text} {upper} {lower} {raw} {hex} {len} {peer} {time} {1}..{9};加上 ; close 则回复后关闭连接,也可以只写 close。greeting => 文本 在客户端连接时发送。";
    rules_presets: "Presets (the auto-reply modes as rules):", "预设(自动回复模式对应的规则):";
    rules_label: "Rules", "规则";
    rules_apply: "Apply", "应用";
    rules_clear: "Clear rules", "清除规则";
    rules_in_force: "{0} rules in force", "{0} 条规则生效中";
    rules_none: "No rules: the auto-reply mode answers.", "没有规则:由自动回复模式作答。";
    saved_none: "No saved packets for this tab yet: type a message, name it below and save it.", "此标签页还没有保存的数据包:输入消息,在下面起个名字保存。";
    saved_name: "Name", "名称";
    saved_save_current: "Save current message", "保存当前消息";
    saved_manage: "Manage saved packets…", "管理已存数据包…";
    saved_manage_title: "Saved packets", "已存数据包";
    saved_import: "Import JSON…", "导入 JSON…";
    saved_export: "Export JSON…", "导出 JSON…";
    saved_restore: "Add the defaults", "添加默认数据包";
    saved_restore_tip: "Adds the built-in examples again (HTTP GET, a DNS query, hello, 你好 in GBK, exit); existing packets stay.", "重新添加内置示例(HTTP GET、DNS 查询、hello、GBK 的你好、exit);已有的数据包保留。";
    saved_restored: "Added {0} default packets.", "已添加 {0} 个默认数据包。";
    saved_imported: "Imported {0} packets from {1}.", "已从 {1} 导入 {0} 个数据包。";
    saved_import_failed: "Cannot import {0}: {1}", "无法导入 {0}:{1}";
    saved_exported: "Exported {0} packets to {1}.", "已导出 {0} 个数据包到 {1}。";
    saved_write_failed: "Cannot write {0}: {1}", "无法写入 {0}:{1}";
    saved_corrupt: "The saved packets file could not be read, so the defaults are used: {0}", "无法读取已存数据包文件,已使用默认数据包:{0}";
    saved_tab: "Tab", "标签页";
    saved_destination: "Destination", "目标";
    saved_payload: "Payload", "内容";
    saved_format: "Format", "格式";
    saved_delete: "Delete", "删除";
    saved_not_saved: "Not saved yet: {0}", "尚未保存:{0}";
    about_text: "A network playground: UDP, TCP and broadcast you can click, watch and inspect, grown from a five-lesson Python socket tutorial.", "网络实验工具:可以点击、观察和检查的 UDP、TCP 与广播,源自一套五课的 Python 套接字教程。";
    about_licenses: "SockLab: MIT OR Apache-2.0.\nBundled font: Droid Sans Fallback Full, Apache License 2.0 (assets/fonts).\nBuilt with egui/eframe, egui_extras, egui_plot, mio, socket2, crossbeam-channel, encoding_rs, ipnet, if-addrs, jiff, serde, clap, regex, rfd (MIT or Apache-2.0 licensed).", "SockLab:MIT 或 Apache-2.0 许可。\n内置字体:Droid Sans Fallback Full,Apache License 2.0(assets/fonts)。\n使用了 egui/eframe、egui_extras、egui_plot、mio、socket2、crossbeam-channel、encoding_rs、ipnet、if-addrs、jiff、serde、clap、regex、rfd(MIT 或 Apache-2.0 许可)。";
    about_keys: "Enter          send\nUp / Down      earlier messages\nCtrl+L         clear the log view\nCtrl+F         search the log\nF11            presentation mode\nCtrl + / - / 0 zoom", "Enter          发送\n上 / 下        历史消息\nCtrl+L         清空日志视图\nCtrl+F         搜索日志\nF11            演示模式\nCtrl + / - / 0 缩放";
    all_intro: "Every tab's traffic in one log, in the order it happened. Pick a tab to see only its rows; the Tab column shows where each row came from.", "所有标签页的流量按发生顺序记在同一个日志里。选择一个标签页只看它的行;“标签页”列显示每行来自哪里。";
    tab_addresses: "Addresses", "地址";
    ifaces_title: "This machine's interfaces", "本机网卡";
    iface_name: "Interface", "网卡";
    iface_addr: "Address", "地址";
    iface_prefix: "Prefix / mask", "前缀 / 掩码";
    iface_bcast: "Broadcast", "广播地址";
    iface_use: "Use", "使用";
    iface_use_tip: "Put this address into the UDP and TCP Server tabs' local address (the port stays).", "把这个地址填入 UDP 和 TCP 服务器页的本地地址(端口不变)。";
    iface_none: "No interfaces could be read.", "读取不到网卡。";
    inspector_title: "Address inspector", "地址分析";
    inspector_input: "Address or network", "地址或网络";
    inspector_hint: "192.168.1.1/24, 10.0.0.5 255.0.0.0, fe80::1/64", "192.168.1.1/24、10.0.0.5 255.0.0.0、fe80::1/64";
    ins_class: "Class", "类别";
    ins_class_note: "{0} (first bits {1}). Classes are history: since CIDR (1993) the prefix or mask decides where the network part ends.", "{0} 类(开头的位 {1})。分类已经是历史:自 1993 年的 CIDR 起,由前缀或子网掩码决定网络部分在哪里结束。";
    ins_kind: "Kind", "类型";
    ins_network: "Network", "网络";
    ins_classful: "Network by class", "按类别的网络";
    ins_mask: "Mask", "子网掩码";
    ins_bits: "Bits (network | host)", "二进制(网络位 | 主机位)";
    ins_broadcast: "Broadcast", "广播地址";
    ins_hosts: "Usable hosts", "可用主机";
    ins_count: "{0} usable of {1} addresses", "共 {1} 个地址,可用 {0} 个";
    ins_is_network: "This is the network address itself: all host bits are 0.", "这就是网络地址本身:主机位全是 0。";
    ins_is_broadcast: "This is the broadcast address: all host bits are 1.", "这是广播地址:主机位全是 1。";
    ins_no_prefix: "Add /prefix or a mask (e.g. /24 or 255.255.255.0) to see the network, broadcast and hosts.", "加上 /前缀 或子网掩码(如 /24 或 255.255.255.0)即可看到网络地址、广播地址和主机范围。";
    sockets_title: "Sockets on this machine (like netstat -an)", "本机套接字(类似 netstat -an)";
    sockets_refresh: "Refresh sockets", "刷新套接字";
    sockets_port: "Port", "端口";
    sockets_count: "{0} sockets, {1} of them SockLab's (highlighted)", "{0} 个套接字,其中 {1} 个属于 SockLab(高亮)";
    sockets_error: "Cannot read this machine's sockets: {0}", "无法读取本机套接字:{0}";
    col_proto: "Proto", "协议";
    col_local: "Local", "本地";
    col_remote: "Remote", "远端";
    col_state: "State", "状态";
    col_process: "Process", "进程";
    open_file: "Open…", "打开…";
    open_tip: "Open a pcap capture (UDP/TCP over IPv4/IPv6) or a SockLab JSON lines log, e.g. one a classmate sent you, and inspect it with the table, filters, conversation view and plot.", "打开一个 pcap 抓包文件(IPv4/IPv6 上的 UDP/TCP)或 SockLab 的 JSON lines 日志(比如同学发给你的),用表格、过滤、会话和图表查看。";
    opening: "Reading {0}…", "正在读取 {0}…";
    open_cancelled: "Stopped reading {0}: nothing was opened.", "已停止读取 {0}:没有打开任何内容。";
    opened: "{0}: {1} events, {2} packets or lines skipped", "{0}:{1} 条事件,跳过 {2} 个包或行";
    open_failed: "Cannot open {0}: {1}", "无法打开 {0}:{1}";
    viewer_empty: "No file open. Open a pcap capture or a SockLab log (JSON lines) to inspect it here.", "还没有打开文件。打开一个 pcap 抓包或 SockLab 日志(JSON lines)即可在这里查看。";
    language: "Language", "语言";
    presenting_on: "Present", "演示模式";
    presenting_off: "Presenting", "演示中";
    presenting_tip: "Presentation mode for a projector: larger text, thicker lines, high-contrast light theme (F11 or Ctrl+Shift+P). Ctrl+plus / Ctrl+minus / Ctrl+0 zoom.", "投影演示模式:更大的文字、更粗的线条、高对比度浅色主题(F11 或 Ctrl+Shift+P)。Ctrl+加号 / Ctrl+减号 / Ctrl+0 缩放。";
    theme: "Theme", "主题";
    view_menu: "View", "视图";
    lessons: "Lessons", "课程";
    lesson_upper: "Upper-case server and client", "大写回显服务器和客户端";
    lesson_hello: "Threaded hello server", "多线程 hello 服务器";
    lesson_sticky: "Sticky packets", "粘包";
    lesson_chat: "UDP chat between two sockets", "两个 UDP 套接字聊天";
    lesson_broadcast: "Broadcast to two receivers", "广播给两个接收者";
    lesson_chat_text: "Two UDP sockets, like the tutorial's chat room (lesson 3): UDP on the left and UDP 2 on the right, each sending to the other's port. Type a message in one and press Enter: it arrives in the other. UDP needs no connection: sendto() just sends.", "两个 UDP 套接字,就像教程的聊天室(第 3 课):左边是 UDP,右边是 UDP 2,各自发往对方的端口。在一边输入消息并回车:另一边就收到了。UDP 不需要连接:sendto() 直接发送。";
    lesson_broadcast_text: "Two broadcast receivers share one port thanks to SO_REUSEADDR. Type a message in either and press Enter: it goes to 127.255.255.255 and both receivers get a copy (the tutorial's lesson 3 broadcast).", "两个广播接收者借助 SO_REUSEADDR 共用一个端口。在任一边输入消息并回车:它发往 127.255.255.255,两个接收者都会收到一份(教程第 3 课的广播)。";
    lesson_upper_text: "The TCP server (tutorial lesson 2) is listening with upper-case replies. Click Connect, type a message, press Enter: the server sends it back in capitals. Open the TCP Server tab to see both sides.", "TCP 服务器(教程第 2 课)已经在监听,并把收到的内容转成大写发回。点击“连接”,输入消息后回车:服务器会把它转成大写发回来。打开“TCP 服务器”页可以看到两边。";
    lesson_hello_text: "The threaded hello server (tutorial lesson 4) is listening: it says welcome!, answers hello, NAME! to each message and closes on exit. Three clients point at it (TCP Client, TCP Client 2 and 3 under More tabs): connect each, send names, then exit; the server (shown on the right) serves them all at once.", "多线程 hello 服务器(教程第 4 课)已经在监听:连接时发 welcome!,对每条消息回复 hello, 名字!,收到 exit 就断开。三个客户端都指向它(TCP 客户端,以及“更多标签页”里的 TCP 客户端 2 和 3):分别连接、发送名字、再发 exit;服务器(右边)同时为它们服务。";
    lesson_sticky_text: "A TCP server is listening. Click Connect, then Sticky-packet demo: ten send() calls go out back to back. In the TCP Server tab, click a received row and open Conversation: they arrived in fewer recv() calls. Then set Framing to line on both tabs and try again.", "TCP 服务器已经在监听。点击“连接”,再点“粘包演示”:连续调用十次 send()。到“TCP 服务器”页点一行收到的数据并打开“会话”:它们被合并成了更少次的 recv()。然后把两边的“分帧”都设为 line 再试一次。";
    settings_corrupt: "The settings file could not be read ({0}); it was kept as {1} and defaults are used.", "设置文件无法读取({0}),已保存为 {1},现在使用默认设置。";
    code: "Code", "代码";
    code_tip: "The same thing in Python (the tutorial's style) or Rust, with these settings.", "用 Python(教程的写法)或 Rust 实现同样的功能,使用当前设置。";
    code_title: "Code for this tab", "本页对应的代码";
    code_explain: "Follows the settings above as you change them. Copy it into a file and run it next to SockLab.", "会随上面的设置实时变化。复制到文件里,就可以和 SockLab 一起运行。";
    theme_system: "System theme", "跟随系统";
    theme_light: "Light", "浅色";
    theme_dark: "Dark", "深色";
    memory_used: "Log memory: {0} / {1} MiB", "日志内存:{0} / {1} MiB";
    memory_tip: "All tabs' logs share this budget. When it is full the oldest rows are dropped (the tab says how many); packet and byte counters stay exact.", "所有页面的日志共用这个内存预算。满了以后最旧的记录会被丢弃(页面上会显示丢弃了多少),收发包数和字节数的计数始终准确。";
    memory_budget: "Budget", "预算";

    local_address: "Local address", "本地地址";
    remote_address: "Remote address", "目标地址";
    server_address: "Server address", "服务器地址";
    start: "Start", "启动";
    stop: "Stop", "停止";
    connect: "Connect", "连接";
    disconnect: "Disconnect", "断开";
    send: "Send", "发送";
    port0_hint: "Port 0 lets the system pick a free port; the port it chose is shown once started.", "端口 0 表示由系统分配一个空闲端口,启动后会显示实际端口。";
    recv_buffer: "Receive buffer (bytes)", "接收缓冲区(字节)";
    port_zero: "port 0: the system picks a free port", "端口 0:由系统挑一个空闲端口";
    port_well_known: "port {0}: well-known (0-1023)", "端口 {0}:知名端口(0-1023)";
    port_registered: "port {0}: registered (1024-49151)", "端口 {0}:注册端口(1024-49151)";
    port_dynamic: "port {0}: dynamic (49152-65535)", "端口 {0}:动态端口(49152-65535)";
    port_service: ", usually {0}", ",通常用于 {0}";
    port_privileged: ", needs administrator rights to bind", ",绑定它需要管理员权限";
    port_ephemeral: "; the system also hands out {0}-{1} to clients, so it may be taken", ";系统也会把 {0}-{1} 分配给客户端,所以可能被占用";
    port_held_by: "Held by: {0}", "占用者:{0}";
    recv_buffer_tip: "How many bytes one recv() reads. A UDP datagram larger than this is cut off, and SockLab says how many bytes were lost. The tutorial uses recvfrom(1024).", "一次 recv() 最多读取的字节数。大于它的 UDP 数据报会被截断,SockLab 会显示丢失了多少字节。教程里用的是 recvfrom(1024)。";
    recv_buffer_tcp_tip: "How many bytes one recv() reads. TCP loses nothing when it is small: the rest comes in the next read, and the log shows each read as its own row. The tutorial uses recv(1024).", "一次 recv() 最多读取的字节数。TCP 不会因为它小而丢数据:剩下的在下一次读取时到来,日志里每次读取各占一行。教程里用的是 recv(1024)。";
    auto_reply: "Auto-reply", "自动回复";
    reply_none: "None", "无";
    reply_echo: "Echo", "原样回显";
    reply_upper: "Upper-case", "转大写";
    reply_timestamp: "Timestamp [time]:text", "时间戳 [时间]:文本";
    reply_hello: "welcome! + hello, TEXT!", "welcome! + hello, 文本!";
    reply_tip: "Echo sends the bytes back. Upper-case is the tutorial's first server (data.upper()). Timestamp is its second ([%Y-%m-%d %X]:text). welcome + hello is its threaded server: 'welcome!' on connect, 'hello, TEXT!' for each message, and 'exit' closes.", "原样回显:把收到的字节发回去。转大写:教程的第一个服务器 (data.upper())。时间戳:教程的第二个服务器 ([%Y-%m-%d %X]:文本)。welcome + hello:教程的多线程服务器,连接时发 'welcome!',每条消息回 'hello, 文本!',收到 'exit' 就断开。";

    state_stopped: "Stopped", "已停止";
    state_starting: "Starting…", "正在启动…";
    state_bound: "Bound to {0}", "已绑定 {0}";
    state_listening: "Listening on {0}", "正在监听 {0}";
    state_connecting: "Connecting to {0}…", "正在连接 {0}…";
    state_connected: "Connected to {0} from {1}", "已连接 {0}(本地 {1})";
    state_half_closed: "Half-closed: our sending side is shut, still receiving from {0}", "半关闭:我方已停止发送,仍在接收 {0} 的数据";
    state_closed_by_peer: "Closed by the server {0}", "服务器 {0} 关闭了连接";
    state_reset: "Connection reset by {0}", "连接被 {0} 重置";
    state_closed: "Disconnected", "已断开";
    state_failed: "Could not connect", "连接失败";
    counters: "RX {0} pkts / {1} B    TX {2} pkts / {3} B", "收 {0} 包 / {1} 字节    发 {2} 包 / {3} 字节";
    connections_count: "Clients: {0} connected, {1} in total", "客户端:在线 {0} 个,累计 {1} 个";
    evicted: "{0} older rows dropped to bound memory (counters stay exact)", "为限制内存已丢弃 {0} 条旧记录(计数仍然准确)";

    mode_text: "Text", "文本";
    mode_hex: "Hex", "十六进制";
    encoding: "Encoding", "编码";
    message: "Message", "消息";
    send_hint_text: "Type a message: Enter sends, Up/Down keys recall history", "输入消息:回车发送,上下方向键翻历史";
    send_hint_hex: "Hex bytes, e.g. 48 65 6c 6c 6f", "十六进制字节,例如 48 65 6c 6c 6f";
    err_hex_digit: "'{0}' (character {1}) is not a hex digit 0-9 or a-f. Nothing was sent.", "'{0}'(第 {1} 个字符)不是十六进制数字 0-9 或 a-f,没有发送。";
    err_hex_odd: "{0} hex digits is an odd number: every byte needs two digits. Nothing was sent.", "{0} 个十六进制数字是奇数个:每个字节需要两位。没有发送。";
    err_unencodable: "'{0}' cannot be written in {1}. Nothing was sent.", "'{0}' 无法用 {1} 编码,没有发送。";
    err_bad_escape: "The escape at character {0} is not one of \\r \\n \\t \\0 \\\\ \\xHH. Nothing was sent.", "第 {0} 个字符处的转义不是 \\r \\n \\t \\0 \\\\ \\xHH 之一,没有发送。";
    escapes: "Escapes", "转义";
    escapes_tip: "In text mode, \\r \\n \\t \\0 \\\\ and \\xHH (one raw byte) are turned into those bytes, e.g. GET / HTTP/1.0\\r\\n\\r\\n.", "文本模式下把 \\r \\n \\t \\0 \\\\ 和 \\xHH(一个原始字节)转换成对应的字节,例如 GET / HTTP/1.0\\r\\n\\r\\n。";
    repeat: "Repeat", "重复";
    repeat_every: "every (ms)", "间隔(毫秒)";
    repeat_times: "times", "次数";
    repeat_tip: "Send the message again and again: every N ms, K times (at most 100,000). Stops by itself, on an error, or with Stop.", "反复发送这条消息:每隔 N 毫秒发一次,共 K 次(最多 100,000 次)。发完、出错或点“停止”都会停下。";
    repeat_left: "{0} left, next in {1} ms", "还剩 {0} 次,{1} 毫秒后发送下一次";
    repeat_stop: "Stop repeating", "停止重复";
    err_nothing: "Type something to send first.", "请先输入要发送的内容。";
    err_not_started: "Start it first: there is no socket yet.", "请先启动:还没有套接字。";

    col_time: "Time", "时间";
    col_peer: "Peer", "对端";
    col_dir: "Dir", "方向";
    col_len: "Bytes", "字节";
    col_data: "Data", "数据";
    col_hex: "Hex", "十六进制";
    col_tab: "Tab", "标签页";
    detail_addresses_tip: "Our address (local) and the other side's (peer), with the direction of the bytes.", "我方地址(本地)和对方地址(对端),箭头表示字节的方向。";
    columns: "Columns", "列";
    time_absolute: "Clock time", "时钟时间";
    time_relative: "Seconds since first row", "距第一行的秒数";
    time_delta: "Seconds since previous row", "距上一行的秒数";
    jump_newest: "Jump to newest", "跳到最新";
    clear: "Clear", "清空";
    clear_tip: "(Ctrl+L) Hide the rows so far from this view. The log itself is append-only and its counters stay; old rows leave it when its memory budget (View menu) is full.", "(Ctrl+L)在此视图中隐藏已有的行。日志本身只追加不删除,计数保持不变;内存预算(视图菜单)用满时最旧的行才会被移除。";
    evicted_tip: "The log keeps the newest rows within its memory budget (View menu). Packet and byte counters count every event, evicted or not.", "日志在内存预算(视图菜单)内保留最新的行。包数和字节数计数包含所有事件,无论是否已被丢弃。";
    follow: "Follow newest", "跟随最新";
    view_table: "Table", "表格";
    filter: "Filter", "过滤";
    filter_hint: "text, or hex like 6d 73 67", "文本,或十六进制如 6d 73 67";
    filter_regex: "Regex", "正则";
    filter_peer: "Peer contains", "对端包含";
    filter_length: "Bytes", "字节数";
    filter_conn: "Conn #", "连接 #";
    filter_all: "All", "全部";
    filter_rx: "Received", "接收";
    filter_tx: "Sent", "发送";
    filter_events: "Events", "事件";
    filter_tab: "Tab", "标签页";
    filter_kind: "Kind", "类型";
    filter_connects: "Connects", "连接";
    filter_closes: "Closes", "关闭";
    filter_resets: "Resets", "复位";
    filter_errors: "Errors", "错误";
    filter_info: "Listening / stopped", "监听 / 停止";
    filter_count: "{0} of {1} rows", "{1} 行中的 {0} 行";
    filter_progress: "Filtering… {0}%", "正在过滤… {0}%";
    filter_bad_length: "Bytes '{0}': write 64, 10-100, 1000- or -20", "字节数 '{0}':请写成 64、10-100、1000- 或 -20";
    filter_bad_conn: "Conn # '{0}': use a number like 3", "连接 # '{0}':请写数字,如 3";
    filter_bad_regex: "Not a valid regular expression: {0}", "不是有效的正则表达式:{0}";
    view_conversation: "Conversation", "会话";
    view_throughput: "Throughput", "吞吐量";
    plot_bytes: "Bytes/s", "字节/秒";
    plot_packets: "Packets/s", "包/秒";
    plot_rx: "received", "接收";
    plot_tx: "sent", "发送";
    plot_empty: "No traffic yet: the plot shows packets or bytes per second, received and sent.", "还没有流量:这里按秒显示收发的包数或字节数。";
    plot_filtered: "Filtered rows only (e.g. one peer)", "只统计过滤后的行(例如某一个对端)";
    plot_hint: "Drag to pan, scroll to zoom, double-click to reset.", "拖动平移,滚轮缩放,双击复位。";
    conv_tip: "One TCP connection or one UDP peer as a chat: every bubble is one recv() or send(), like Wireshark's Follow Stream.", "把一个 TCP 连接或一个 UDP 对端显示成聊天记录:每个气泡就是一次 recv() 或 send(),类似 Wireshark 的“追踪流”。";
    conv_hint: "Click a row of a TCP connection or a UDP peer in the Table first, then open Conversation.", "请先在表格里点击某个 TCP 连接或 UDP 对端的一行,再打开“会话”。";
    conv_title: "Conversation with {0}", "与 {0} 的会话";
    conv_stats: "received {0} chunks / {1} B, sent {2} chunks / {3} B", "收到 {0} 块 / {1} 字节,发送 {2} 块 / {3} 字节";
    conv_truncated: "(showing the newest {0})", "(只显示最新的 {0} 条)";
    conv_explain: "TCP is a byte stream: one recv() can hold several messages the peer sent (merged), or part of one (split). That is the sticky-packet problem (粘包).", "TCP 是字节流:一次 recv() 可能包含对方发来的好几条消息(合并),也可能只有一条消息的一部分(拆分)。这就是粘包问题。";
    conv_recv: "recv #{0}: {1} bytes at {2}", "第 {0} 次 recv:{1} 字节,{2}";
    conv_send: "send #{0}: {1} bytes at {2}", "第 {0} 次 send:{1} 字节,{2}";
    detail_title: "Event #{0}", "事件 #{0}";
    detail_bytes: "{0} bytes", "{0} 字节";
    copy_as: "Copy as", "复制为";
    decoded_as: "As {0}:", "按 {0} 解码:";
    mojibake_tip: "The same bytes decoded two ways. If the sender and the receiver use different encodings (the tutorial mixes utf-8 and gbk), one line is mojibake (乱码): 你好 sent as UTF-8 and read as GBK becomes 浣犲ソ.", "同一串字节的两种解码。发送方和接收方的编码不一致时(教程里混用了 utf-8 和 gbk),其中一行就是乱码:按 UTF-8 发送的“你好”按 GBK 读出来就成了“浣犲ソ”。";
    copy: "Copy", "复制";
    follow_conversation: "Show conversation", "查看会话";
    close_detail: "Close", "关闭";
    export: "Export…", "导出…";
    export_tip: "Save this tab's log (only the filtered rows if a filter is on) as pcap (opens in Wireshark), JSON lines or CSV.", "把本页的日志(如果开了过滤,只保存过滤后的行)保存为 pcap(可用 Wireshark 打开)、JSON lines 或 CSV。";
    export_progress: "Exporting {0} of {1} events…", "正在导出 {0}/{1} 条事件…";
    export_done: "Saved {0} events to {1}", "已把 {0} 条事件保存到 {1}";
    export_failed: "Export failed: {0}", "导出失败:{0}";
    export_cancelled: "Export cancelled", "已取消导出";
    cancel: "Cancel", "取消";
    ev_listening: "socket ready on {0}", "套接字就绪:{0}";
    ev_connecting: "connecting…", "正在连接…";
    ev_connected: "connected (local {0})", "已连接(本地 {0})";
    ev_joined: "joined multicast group {0}", "已加入组播组 {0}";
    ev_left: "left multicast group {0}", "已离开组播组 {0}";
    mcast_join: "Join group", "加入组";
    mcast_leave: "Leave group", "离开组";
    mcast_join_tip: "IP_ADD_MEMBERSHIP: from now on this socket receives what is sent to the group.", "IP_ADD_MEMBERSHIP:从现在起此套接字接收发往该组的数据。";
    mcast_leave_tip: "IP_DROP_MEMBERSHIP: the socket stays open but no longer receives the group's datagrams.", "IP_DROP_MEMBERSHIP:套接字仍然打开,但不再接收该组的数据。";
    ev_half_closed: "we shut down sending (FIN sent; still receiving)", "我方关闭了发送(已发 FIN,仍可接收)";
    ev_closed_peer: "closed by peer (recv returned 0 bytes)", "对方关闭了连接(recv 返回 0 字节)";
    ev_closed_reset: "connection reset (RST)", "连接被重置(RST)";
    ev_closed_local: "closed by us", "我方关闭了连接";
    ev_closed_failed: "connection ended after an error", "连接因错误结束";
    ev_stopped: "stopped", "已停止";
    ev_truncated: " [cut off: {0} more bytes did not fit the receive buffer]", " [被截断:还有 {0} 字节超出接收缓冲区]";

    lifecycle: "Socket steps:", "套接字步骤:";
    lifecycle_tip: "The calls a program makes, in order. The kernel does the three-way handshake (SYN, SYN-ACK, ACK) inside connect() and before accept() returns, and the four-way close (FIN, ACK, FIN, ACK) after shutdown()/close(). The side that closes first keeps its socket in TIME_WAIT for about a minute, which is why a restarted server needs SO_REUSEADDR.", "程序依次调用的函数。三次握手(SYN、SYN-ACK、ACK)由内核在 connect() 里、以及 accept() 返回之前完成;四次挥手(FIN、ACK、FIN、ACK)在 shutdown()/close() 之后进行。先关闭的一方的套接字会在 TIME_WAIT 状态停留约一分钟,所以重启服务器需要 SO_REUSEADDR。";
    kernel_check: "Kernel state", "内核状态";
    kernel_tip: "Ask the kernel (like netstat/ss) what state this connection's socket is in now, e.g. TIME_WAIT after closing first.", "向内核查询(就像 netstat/ss)这个连接的套接字现在处于什么状态,例如先关闭后会处于 TIME_WAIT。";
    kernel_state: "kernel says: {0}", "内核显示:{0}";
    kernel_gone: "no socket any more (fully closed)", "套接字已不存在(已完全关闭)";
    mcast_group: "Multicast group", "组播组";
    mcast_tip: "Join a multicast group, e.g. 239.255.0.1, to receive what is sent to it (bind 0.0.0.0:PORT). Leave empty for plain UDP.", "加入一个组播组(如 239.255.0.1)以接收发往该组的数据(绑定 0.0.0.0:端口)。留空则是普通 UDP。";
    mcast_iface: "Interface", "网卡地址";
    mcast_ttl_tip: "IP_MULTICAST_TTL (IPv6: hop limit): how many routers a group datagram may cross. 1, the default, keeps it on the local network; 0 keeps it on this machine.", "IP_MULTICAST_TTL(IPv6 为跳数限制):组播数据报最多能经过几个路由器。默认 1 表示只在本地网络内;0 表示只在本机。";
    mcast_iface_tip: "The interface (its IPv4 address) to join on and to send group datagrams from. 127.0.0.1 keeps the demo on this machine.", "加入组播组和发送组播数据所用的网卡(它的 IPv4 地址)。填 127.0.0.1 则演示只在本机进行。";
    mcast_member: ", member of group {0}", ",已加入组播组 {0}";
    reply_last: "Reply to last sender", "回复最后发送者";
    reply_last_tip: "Fill the remote address with whoever sent the last datagram: {0}", "把目标地址填为最后一个发来数据的人:{0}";
    nobody_yet: "Nobody has sent anything yet", "还没有人发来数据";

    backlog: "Backlog", "排队数 backlog";
    backlog_tip: "listen(backlog): how many finished connections the system may queue before the server accept()s them.", "listen(backlog):服务器 accept() 之前,系统最多排队多少个已建立的连接。";
    reuse_addr: "SO_REUSEADDR", "SO_REUSEADDR";
    reuse_addr_tip: "Lets the server start again on this port right away, even while connections from its last run are still in TIME_WAIT. The tutorial does it with setsockopt(SOL_SOCKET, SO_REUSEADDR, 1).", "让服务器可以立刻在这个端口重新启动,即使上次运行的连接还处于 TIME_WAIT。教程里用 setsockopt(SOL_SOCKET, SO_REUSEADDR, 1) 实现。";
    clients: "Clients", "客户端";
    no_clients: "No clients yet. Connect from the TCP Client tab, nc or the tutorial's client.", "还没有客户端。可以从“TCP 客户端”页、nc 或教程里的客户端连接。";
    send_to: "Send to", "发送给";
    all_clients: "All clients", "所有客户端";
    clear_closed: "Remove closed", "移除已断开";
    client_connected: "connected", "已连接";
    client_half_closed: "half-closed", "半关闭";
    client_closed_peer: "closed by client", "客户端已关闭";
    client_reset: "reset", "被重置";
    client_closed_local: "closed by server", "服务器已关闭";
    client_failed: "failed", "出错";
    client_bytes: "in {0} B, out {1} B", "收 {0} 字节,发 {1} 字节";

    timeout_ms: "Timeout (ms)", "超时(毫秒)";
    half_close: "Half-close", "半关闭";
    framing: "Framing", "分帧";
    framing_tip: "How messages are marked in the byte stream, so sticky packets come apart again: none (each recv() as it came), line (ends with \\n), fixed:N (N bytes each), len8/len16/len32 (a 1/2/4-byte big-endian length first), delim:HEX (custom end bytes, e.g. delim:0d0a). Both sides must use the same framing.", "在字节流里怎样标出每条消息,好把粘在一起的包重新分开:none(每次 recv() 原样显示)、line(以 \\n 结尾)、fixed:N(每条 N 字节)、len8/len16/len32(前面加 1/2/4 字节大端长度)、delim:HEX(自定义结束字节,如 delim:0d0a)。两端必须使用同样的分帧方式。";
    burst_count: "Messages", "条数";
    sticky_demo: "Sticky-packet demo", "粘包演示";
    sticky_tip: "Sends msg1; msg2; … as separate send() calls, back to back. Watch the server: TCP is a byte stream, so they usually arrive merged into fewer recv() calls (open its Conversation view).", "连续调用多次 send(),分别发送 msg1; msg2; …。看服务器那边:TCP 是字节流,它们通常会被合并成更少次的 recv() 收到(打开服务器的“会话”视图)。";
    burst_bad: "'{0}' messages: use a number from 1 to 100.", "条数 '{0}':请填写 1 到 100 之间的数字。";
    half_close_tip: "shutdown(SHUT_WR): stop sending (the server's recv() returns 0) but keep receiving. This is how TCP's two directions are separate: full duplex.", "shutdown(SHUT_WR):停止发送(服务器的 recv() 会返回 0),但仍然可以接收。TCP 的两个方向是独立的:全双工。";

    listen_port: "Listen port", "监听端口";
    start_receiver: "Start receiver", "启动接收";
    stop_receiver: "Stop receiver", "停止接收";
    receiver_off: "Receiver off", "接收未启动";
    broadcast_address: "Broadcast address", "广播地址";
    dest_port: "Destination port", "目标端口";
    refresh: "Refresh", "刷新";
    pick: "Pick…", "选择…";
    interfaces: "From interfaces", "从网卡选择";
    this_machine_only: "this machine only: safe for demos", "仅本机:适合课堂演示";
    broadcast_explain: "The receiver binds 0.0.0.0:PORT with SO_REUSEADDR, so several receivers on one machine each get a copy of every broadcast. The sender needs SO_BROADCAST, like setsockopt(SOL_SOCKET, SO_BROADCAST, 1) in the tutorial.", "接收端用 SO_REUSEADDR 绑定 0.0.0.0:端口,所以同一台机器上的多个接收端都能收到每一条广播。发送端需要 SO_BROADCAST,就像教程里的 setsockopt(SOL_SOCKET, SO_BROADCAST, 1)。";
    sender_ready: "Sender: {0} with SO_BROADCAST", "发送端:{0}(已开 SO_BROADCAST)";

    p_empty_address: "Fill in an address, like 127.0.0.1:8080.", "请填写地址,例如 127.0.0.1:8080。";
    p_missing_port: "'{0}' has no port: write address:port, like 127.0.0.1:8080.", "'{0}' 缺少端口:请写成 地址:端口,例如 127.0.0.1:8080。";
    p_bad_address: "'{0}' is not an address: write address:port, like 127.0.0.1:8080 or [::1]:8080.", "'{0}' 不是有效地址:请写成 地址:端口,例如 127.0.0.1:8080 或 [::1]:8080。";
    p_bad_port: "'{0}' is not a port: a port is a whole number from 0 to 65535.", "'{0}' 不是有效端口:端口是 0 到 65535 之间的整数。";
    p_generator: "Traffic generator: {0}.", "流量发生器:{0}。";
    ev_generated: "generator done: {0} datagrams, {1} bytes in {2} s ({3} datagrams/s)", "发生器结束:{2} 秒内发送 {0} 个数据报、{1} 字节(每秒 {3} 个)";
    p_unknown_interface: "This machine has no network interface named '{0}'. A link-local address (fe80::…) needs its interface after %, like [fe80::1%eth0]:8080; the Addresses tab lists the interfaces.", "本机没有名为 '{0}' 的网络接口。链路本地地址(fe80::…)需要在 % 后写出接口,例如 [fe80::1%eth0]:8080;“地址”页列出了所有接口。";
    p_unknown_host: "Cannot find the host '{0}': check the spelling, or use an IP address.", "找不到主机 '{0}':请检查拼写,或直接使用 IP 地址。";
    p_addr_in_use: "Port {1} is already in use by another program (on {0}). Pick another port, or stop the program that uses it.", "端口 {1} 已被其他程序占用({0})。请换一个端口,或关闭占用它的程序。";
    p_privileged: "Port {1} is below 1024: only the administrator (root) may use these well-known ports. Pick a port from 1024 up.", "端口 {1} 小于 1024:这些知名端口只有管理员(root)才能使用。请选择 1024 以上的端口。";
    p_addr_not_available: "{0} is not an address of this machine: use 127.0.0.1, 0.0.0.0 or one of this machine's own addresses.", "{0} 不是本机的地址:请使用 127.0.0.1、0.0.0.0 或本机自己的地址。";
    p_broadcast_denied: "Sending to {0} was refused: sending to a broadcast address needs the SO_BROADCAST option.", "发送到 {0} 被拒绝:向广播地址发送需要开启 SO_BROADCAST 选项。";
    p_refused: "Connection refused: nothing is listening on {0}.", "连接被拒绝:{0} 上没有程序在监听。";
    p_timeout: "No answer from {0} within {1} ms: the host may be down, or a firewall drops the packets.", "{1} 毫秒内 {0} 没有应答:主机可能没开,或者被防火墙拦截。";
    p_unreachable: "{0} cannot be reached: there is no route to that network.", "无法到达 {0}:没有通往该网络的路由。";
    p_reset: "The connection to {0} was reset by the other side.", "与 {0} 的连接被对方重置。";
    p_too_big: "The datagram ({0} bytes) is too big: one UDP datagram carries at most 65,507 bytes over IPv4.", "数据报({0} 字节)太大:一个 UDP 数据报在 IPv4 上最多携带 65,507 字节。";
    p_no_destination: "Fill in where to send, like 127.0.0.1:8080.", "请填写发送目标,例如 127.0.0.1:8080。";
    p_not_connected: "Not connected: there is no connection to send on.", "未连接:没有可以发送的连接。";
    p_no_such_conn: "Client #{0} is no longer connected.", "客户端 #{0} 已不在线。";
    p_too_many: "A client was turned away: {0} clients are already connected (the limit).", "拒绝了一个客户端:已有 {0} 个客户端在线(已达上限)。";
    p_not_reading: "The client is not reading: {0} bytes are waiting to be sent, so it was disconnected.", "客户端不读取数据:有 {0} 字节等待发送,已将其断开。";
    p_not_multicast: "{0} is not a multicast group: groups are 224.0.0.0 to 239.255.255.255 (IPv4) or start with ff (IPv6).", "{0} 不是组播地址:组播组在 224.0.0.0 到 239.255.255.255 之间(IPv4),或以 ff 开头(IPv6)。";
    p_framing: "Not sent: {0}", "没有发送:{0}";
    p_busy: "Too many commands at once; try again.", "命令太多,请稍后再试。";
    p_gone: "The socket's worker has stopped.", "套接字的工作线程已停止。";
    p_io: "{0} failed: {1}", "{0}失败:{1}";
    op_bind: "bind", "绑定";
    op_listen: "listen", "监听";
    op_accept: "accept", "接受连接";
    op_connect: "connect", "连接";
    op_send: "send", "发送";
    op_recv: "receive", "接收";
    op_option: "set socket option", "设置套接字选项";
    op_internal: "internal", "内部操作";
}

/// "generator done: N datagrams, B bytes in S s (R datagrams/s)".
pub fn generated_text(t: &Tr, packets: u64, bytes: u64, micros: u64) -> String {
    let secs = micros as f64 / 1e6;
    let rate = if secs > 0.0 { packets as f64 / secs } else { 0.0 };
    fill(t.ev_generated, &[&packets, &bytes, &format!("{secs:.3}"), &format!("{rate:.0}")])
}

/// Fills `{0}`, `{1}`, … in a template.
pub fn fill(template: &str, args: &[&dyn std::fmt::Display]) -> String {
    let mut out = template.to_string();
    for (i, a) in args.iter().enumerate() {
        out = out.replace(&format!("{{{i}}}"), &a.to_string());
    }
    out
}

/// A problem in words.
pub fn problem(lang: Lang, p: &Problem) -> String {
    let t = lang.tr();
    match p {
        Problem::EmptyAddress => t.p_empty_address.into(),
        Problem::MissingPort(s) => fill(t.p_missing_port, &[s]),
        Problem::BadAddress(s) => fill(t.p_bad_address, &[s]),
        Problem::BadPort(s) => fill(t.p_bad_port, &[s]),
        Problem::UnknownHost(s) => fill(t.p_unknown_host, &[s]),
        Problem::UnknownInterface(s) => fill(t.p_unknown_interface, &[s]),
        Problem::Generator(s) => fill(t.p_generator, &[s]),
        Problem::AddrInUse(a) => fill(t.p_addr_in_use, &[a, &a.port()]),
        Problem::PrivilegedPort(a) => fill(t.p_privileged, &[a, &a.port()]),
        Problem::AddrNotAvailable(a) => fill(t.p_addr_not_available, &[&a.ip()]),
        Problem::BroadcastDenied(a) => fill(t.p_broadcast_denied, &[a]),
        Problem::Refused(a) => fill(t.p_refused, &[a]),
        Problem::ConnectTimeout(a, ms) => fill(t.p_timeout, &[a, ms]),
        Problem::Unreachable(a) => fill(t.p_unreachable, &[a]),
        Problem::Reset(a) => fill(t.p_reset, &[a]),
        Problem::TooBig(n) => fill(t.p_too_big, &[n]),
        Problem::NoDestination => t.p_no_destination.into(),
        Problem::NotConnected => t.p_not_connected.into(),
        Problem::NoSuchConnection(id) => fill(t.p_no_such_conn, &[id]),
        Problem::TooManyClients(n) => fill(t.p_too_many, &[n]),
        Problem::ClientNotReading(n) => fill(t.p_not_reading, &[n]),
        Problem::Busy => t.p_busy.into(),
        Problem::WorkerGone => t.p_gone.into(),
        Problem::Logged(text) => text.clone(),
        Problem::Framing(e) => fill(t.p_framing, &[e]),
        Problem::NotMulticast(g) => fill(t.p_not_multicast, &[g]),
        Problem::Io { op, addr, detail } => {
            let op = match op {
                Op::Bind => t.op_bind,
                Op::Listen => t.op_listen,
                Op::Accept => t.op_accept,
                Op::Connect => t.op_connect,
                Op::Send => t.op_send,
                Op::Recv => t.op_recv,
                Op::Option => t.op_option,
                Op::Internal => t.op_internal,
            };
            let what = match addr {
                Some(a) => format!("{op} ({a})"),
                None => op.to_string(),
            };
            fill(t.p_io, &[&what, detail])
        }
    }
}

/// A codec error in words.
pub fn codec_error(lang: Lang, e: &crate::codec::CodecError) -> String {
    use crate::codec::CodecError as E;
    let t = lang.tr();
    match e {
        E::BadHexDigit { ch, pos } => fill(t.err_hex_digit, &[ch, &(pos + 1)]),
        E::OddHexLength { digits } => fill(t.err_hex_odd, &[digits]),
        E::Unencodable { ch, encoding } => fill(t.err_unencodable, &[ch, &encoding.name()]),
        E::BadEscape { pos } => fill(t.err_bad_escape, &[&(pos + 1)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_and_problem_texts() {
        assert_eq!(fill("{0} and {1}", &[&1, &"b"]), "1 and b");
        let a: std::net::SocketAddr = "127.0.0.1:9000".parse().unwrap();
        assert_eq!(
            problem(Lang::En, &Problem::Refused(a)),
            "Connection refused: nothing is listening on 127.0.0.1:9000."
        );
        assert!(
            problem(Lang::En, &Problem::AddrInUse("0.0.0.0:8080".parse().unwrap()))
                .starts_with("Port 8080 is already in use by another program")
        );
        assert!(problem(Lang::Zh, &Problem::Refused(a)).contains("拒绝"));
    }

    #[test]
    fn no_empty_or_untranslated_placeholders() {
        // Both tables have the same keys (compile-time); check the placeholders agree too.
        let en = format!("{:?}", strings_of(&EN));
        let zh = format!("{:?}", strings_of(&ZH));
        assert_eq!(en.matches("{0}").count(), zh.matches("{0}").count());
        assert_eq!(en.matches("{1}").count(), zh.matches("{1}").count());
    }

    fn strings_of(t: &Tr) -> Vec<&'static str> {
        vec![t.p_addr_in_use, t.p_timeout, t.state_connected, t.counters, t.connections_count, t.err_hex_digit]
    }

    #[test]
    fn lang_parse() {
        assert_eq!(Lang::parse("zh_CN.UTF-8"), Some(Lang::Zh));
        assert_eq!(Lang::parse("en_US"), Some(Lang::En));
        assert_eq!(Lang::parse("C"), None);
    }
}
