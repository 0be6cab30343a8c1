package io.capstan.session.hooks;

/** Receives {@link HookEvent}s. Keep it quick; an exception thrown here is logged and swallowed. */
@FunctionalInterface
public interface HookListener {

    void onHookEvent(HookEvent event);

    /** Ignores events (the default: the hooks log every outcome themselves through SLF4J). */
    HookListener NONE = e -> {
    };
}
