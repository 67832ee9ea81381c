use yew::prelude::*;

/// The lab's shell: title bar, cluster area and control bar.
#[function_component(App)]
pub fn app() -> Html {
    html! {
        <div class="lab">
            <header class="titlebar">
                <h1>{ "kafka-lab" }</h1>
                <span class="tagline">{ "watch Apache Kafka work, and break it on purpose" }</span>
            </header>
            <main class="cluster" aria-label="Cluster">
                <p class="empty">{ "The cluster is empty." }</p>
            </main>
            <nav class="controls" aria-label="Controls">
                <button type="button" disabled=true>{ "Play" }</button>
                <button type="button" disabled=true>{ "Step" }</button>
            </nav>
        </div>
    }
}
