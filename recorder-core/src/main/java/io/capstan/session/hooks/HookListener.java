package io.capstan.session.hooks;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Receives {@link HookEvent}s. Keep it quick; an exception thrown here is logged and swallowed. */
@FunctionalInterface
public interface HookListener {

    void onHookEvent(HookEvent event);

    /** Logs failures at WARN and successes at DEBUG (the default of the hooks). */
    HookListener LOG = new HookListener() {
        private final Logger log = LoggerFactory.getLogger(HookListener.class);

        @Override
        public void onHookEvent(HookEvent e) {
            if (e instanceof HookEvent.CommandFailed || e instanceof HookEvent.ReportFailed
                    || e instanceof HookEvent.Dropped) {
                log.warn("{}", e);
            } else {
                log.debug("{}", e);
            }
        }
    };

    static void deliver(HookListener listener, HookEvent e, Logger log) {
        try {
            listener.onHookEvent(e);
        } catch (RuntimeException ex) {
            log.warn("hook listener threw on {}: {}", e.getClass().getSimpleName(), ex.toString());
        }
    }
}
