use wasm_bindgen_test::wasm_bindgen_test;

use kafka_lab::ui::App;

/// Mounts a component into a fresh div and waits for Yew to render it.
pub async fn mount<C: yew::BaseComponent<Properties = ()>>() -> web_sys::Element {
    let document = gloo::utils::document();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<C>::with_root(root.clone()).render();
    yew::scheduler::flush().await;
    root
}

#[wasm_bindgen_test]
async fn the_shell_shows_title_cluster_area_and_controls() {
    let root = mount::<App>().await;
    assert_eq!(root.query_selector("header h1").unwrap().unwrap().text_content().unwrap(), "kafka-lab");
    assert!(root.query_selector("[aria-label='Cluster']").unwrap().is_some());
    assert!(root.query_selector("[aria-label='Controls']").unwrap().is_some());
}
