package scala;

/**
 * scala.Tuple2, the (K, V) pair that Spark's AppendOnlyMap iterators return.
 * Only the two fields of the real case class.
 */
public final class Tuple2 {
    public final Object _1;
    public final Object _2;

    public Tuple2(Object _1, Object _2) {
        this._1 = _1;
        this._2 = _2;
    }

    public Object _1() {
        return _1;
    }

    public Object _2() {
        return _2;
    }
}
