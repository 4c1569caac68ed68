//! The window icon, from `assets/socklab.png` (drawn by `assets/make_icon.py`).

use std::sync::Arc;

const PNG: &[u8] = include_bytes!("../../assets/socklab.png");

/// The icon as RGBA pixels, or `None` if the embedded file cannot be decoded (then the window
/// simply has the default icon).
pub fn icon() -> Option<Arc<egui::IconData>> {
    let decoder = png::Decoder::new(std::io::Cursor::new(PNG));
    let mut reader = decoder.read_info().ok()?;
    let mut buf = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buf).ok()?;
    if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
        return None;
    }
    buf.truncate(info.buffer_size());
    Some(Arc::new(egui::IconData { rgba: buf, width: info.width, height: info.height }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_embedded_icon_decodes() {
        let icon = super::icon().expect("assets/socklab.png is an 8-bit RGBA PNG");
        assert_eq!((icon.width, icon.height), (256, 256));
        assert_eq!(icon.rgba.len(), 256 * 256 * 4);
        assert!(icon.rgba.chunks(4).any(|p| p[3] == 255), "not all transparent");
    }
}
