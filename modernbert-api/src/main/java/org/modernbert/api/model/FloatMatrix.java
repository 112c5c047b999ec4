package org.modernbert.api.model;

/** A dense row-major float matrix, e.g. positions x vocabulary. */
public record FloatMatrix(int rows, int cols, float[] data) {
    public FloatMatrix {
        if ((long) rows * cols != data.length) {
            throw new IllegalArgumentException(rows + "x" + cols + " matrix needs " + (long) rows * cols + " values, got " + data.length);
        }
    }

    public float get(int row, int col) {
        return data[row * cols + col];
    }

    public float[] row(int row) {
        float[] out = new float[cols];
        System.arraycopy(data, row * cols, out, 0, cols);
        return out;
    }
}
