package io.capstan.session.hooks;

import org.slf4j.Logger;

/** Delivers hook events; a listener that throws is logged, never propagated into a hook's thread. */
final class HookEvents {

    private HookEvents() {
    }

    static void deliver(HookListener listener, HookEvent e, Logger log) {
        try {
            listener.onHookEvent(e);
        } catch (RuntimeException ex) {
            log.warn("hook listener threw on {}: {}", e.getClass().getSimpleName(), ex.toString());
        }
    }
}
