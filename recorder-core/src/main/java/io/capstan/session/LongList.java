package io.capstan.session;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.RandomAccess;

/** An immutable list of longs backed by a {@code long[]}: one long per element instead of a boxed object. */
final class LongList extends AbstractList<Long> implements RandomAccess {

    private final long[] values;

    private LongList(long[] values) {
        this.values = values;
    }

    /** A copy of the first {@code count} values. */
    static List<Long> of(long[] values, int count) {
        return count == 0 ? List.of() : new LongList(Arrays.copyOf(values, count));
    }

    @Override
    public Long get(int index) {
        return values[index];
    }

    @Override
    public int size() {
        return values.length;
    }
}
