using System.Buffers;
using System.Runtime.InteropServices;

namespace SwinFace.Conversion;

/// <summary>
/// Computes initializers from the checkpoint by their <see cref="Recipe"/>s: the fp32 ones exactly as the
/// Python exporter's constant folding does, and the int8 ones from those and from what calibration measured.
/// </summary>
internal sealed class WeightMaker(SwinFaceCheckpoint checkpoint, CalibrationResult? calibration = null)
{
    // quantize_s8 recipes come in pairs (the values, then their scales) over one source: the last one is kept.
    private (Recipe Recipe, sbyte[] Values, float[] Scales)? _lastQuantized;

    public string Origin => checkpoint.Origin;

    /// <summary>Fills one initializer's raw data, little-endian.</summary>
    /// <exception cref="SwinFaceModelException">The recipe does not fit the checkpoint or the slot.</exception>
    public void Fill(OnnxWeights.Slot slot, Recipe recipe, Span<byte> data)
    {
        switch (recipe.Op)
        {
            case "quantize_s8":
                (sbyte[] values, float[] scales) = Quantized(recipe);
                if (recipe.Output == "values")
                {
                    Expect(slot, recipe, OnnxWeights.SlotType.Int8, Dims(recipe.Source!));
                    MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(data);
                }
                else
                {
                    Expect(slot, recipe, OnnxWeights.SlotType.Float32, [scales.Length]);
                    MemoryMarshal.AsBytes(scales.AsSpan()).CopyTo(data);
                }

                break;
            case "activation_scale":
                Expect(slot, recipe, OnnxWeights.SlotType.Float32, []);
                MemoryMarshal.Write(data, Activation(recipe).Scale);
                break;
            case "activation_zero_point":
                Expect(slot, recipe, OnnxWeights.SlotType.UInt8, []);
                data[0] = Activation(recipe).ZeroPoint;
                break;
            default:
                Expect(slot, recipe, OnnxWeights.SlotType.Float32, Dims(recipe));
                Floats(recipe, MemoryMarshal.Cast<byte, float>(data));
                break;
        }
    }

    /// <summary>The shape of what a float recipe makes.</summary>
    public long[] Dims(Recipe recipe) => recipe.Op switch
    {
        "copy" => Tensor(recipe).Shape,
        "transpose" when Tensor(recipe).Shape.Length == 2 => [Tensor(recipe).Shape[1], Tensor(recipe).Shape[0]],
        "relative_position_bias" => BiasDims(recipe),
        "smooth_divide" => Dims(recipe.Source!),
        _ => throw new SwinFaceModelException($"{Origin}: recipe '{recipe.Op}' makes no float tensor, or not from {recipe}."),
    };

    /// <summary>Computes a float recipe into <paramref name="output"/>, which holds exactly its elements.</summary>
    public void Floats(Recipe recipe, Span<float> output)
    {
        switch (recipe.Op)
        {
            case "copy":
                Tensor(recipe).ReadSingles(output);
                break;
            case "transpose":
                Transposed(Tensor(recipe), output);
                break;
            case "relative_position_bias":
                RelativePositionBias(recipe, output);
                break;
            case "smooth_divide":
                Floats(recipe.Source!, output);
                float[] s = Calibration().Smoothing[recipe.Smooth!];
                if (s.Length != output.Length)
                {
                    throw new SwinFaceModelException($"{Origin}: smoothing '{recipe.Smooth}' has {s.Length} factors for {output.Length} values.");
                }

                for (int i = 0; i < output.Length; i++)
                {
                    output[i] /= s[i];
                }

                break;
            default:
                throw new SwinFaceModelException($"{Origin}: recipe '{recipe.Op}' is not one this converter knows.");
        }
    }

    /// <summary>Computes a float recipe into a new array.</summary>
    public float[] Floats(Recipe recipe)
    {
        float[] values = new float[Dims(recipe).Aggregate(1L, (a, d) => a * d)];
        Floats(recipe, values);
        return values;
    }

    /// <summary>
    /// Quantizes a weight to s8, symmetrically (zero point 0, the range -127..127) with one scale per slice:
    /// per output column of a MatMul weight [K, N] (axis 1), per output channel of a Conv weight (axis 0).
    /// A smoothed weight has its rows (input channels) multiplied by the smoothing factors first.
    /// </summary>
    private (sbyte[] Values, float[] Scales) Quantized(Recipe recipe)
    {
        Recipe key = recipe with { Output = null };
        if (_lastQuantized is { } last && last.Recipe == key)
        {
            return (last.Values, last.Scales);
        }

        long[] dims = Dims(recipe.Source!);
        float[] w = Floats(recipe.Source!);
        if (recipe.Smooth is { } smooth)
        {
            float[] s = Calibration().Smoothing[smooth];
            if (dims.Length != 2 || s.Length != dims[0])
            {
                throw new SwinFaceModelException($"{Origin}: smoothing '{smooth}' has {s.Length} factors for a weight of {TorchTensor.FormatShape(dims)}.");
            }

            int cols = (int)dims[1];
            for (int r = 0; r < s.Length; r++)
            {
                for (int c = 0; c < cols; c++)
                {
                    w[(r * cols) + c] *= s[r];
                }
            }
        }

        // Element i belongs to slice (i / inner) % count: axis 0 of [O, ...] has inner = the rest; axis 1 of [K, N] has inner 1.
        int count = (int)dims[recipe.Axis];
        long inner = dims.Skip(recipe.Axis + 1).Aggregate(1L, (a, d) => a * d);
        var max = new float[count];
        for (long i = 0; i < w.Length; i++)
        {
            int slice = (int)(i / inner % count);
            max[slice] = Math.Max(max[slice], Math.Abs(w[i]));
        }

        var scales = new float[count];
        for (int i = 0; i < count; i++)
        {
            scales[i] = max[i] > 0 ? max[i] / 127f : 1f;
        }

        var values = new sbyte[w.Length];
        for (long i = 0; i < w.Length; i++)
        {
            values[i] = (sbyte)Math.Clamp(MathF.Round(w[i] / scales[(int)(i / inner % count)], MidpointRounding.ToEven), -127, 127);
        }

        _lastQuantized = (key, values, scales);
        return (values, scales);
    }

    /// <summary>The u8 quantization of a calibrated tensor (after its smoothing, if any): its range with 0 in it, over 255 steps.</summary>
    private (float Scale, byte ZeroPoint) Activation(Recipe recipe)
    {
        CalibrationResult c = Calibration();
        (float[] min, float[] max) = c.Statistics[recipe.Stat!];
        float[]? s = recipe.Smooth is { } id ? c.Smoothing[id] : null;
        double lo = 0, hi = 0;
        for (int i = 0; i < min.Length; i++)
        {
            double f = s is null ? 1 : s[i];
            lo = Math.Min(lo, min[i] / f);
            hi = Math.Max(hi, max[i] / f);
        }

        double scale = hi > lo ? (hi - lo) / 255 : 1;
        return ((float)scale, (byte)Math.Clamp(Math.Round(-lo / scale, MidpointRounding.ToEven), 0, 255));
    }

    private CalibrationResult Calibration() =>
        calibration ?? throw new SwinFaceModelException($"{Origin}: an int8 recipe needs calibration, and none was run.");

    private TorchTensor Tensor(Recipe recipe) =>
        checkpoint.Tensor(recipe.Part ?? string.Empty, recipe.Key ?? throw new SwinFaceModelException($"{Origin}: recipe '{recipe.Op}' names no key."));

    private static void Transposed(TorchTensor source, Span<float> output)
    {
        int rows = (int)source.Shape[0], cols = (int)source.Shape[1];
        float[] buffer = ArrayPool<float>.Shared.Rent(rows * cols);
        try
        {
            Span<float> input = buffer.AsSpan(0, rows * cols);
            source.ReadSingles(input);
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < cols; c++)
                {
                    output[(c * rows) + r] = input[(r * cols) + c];
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    private long[] BiasDims(Recipe recipe)
    {
        (TorchTensor table, TorchTensor index, TorchTensor? mask) = BiasTensors(recipe);
        return [mask?.Shape[0] ?? 1, table.Shape[1], index.Shape[0], index.Shape[0]];
    }

    private (TorchTensor Table, TorchTensor Index, TorchTensor? Mask) BiasTensors(Recipe recipe)
    {
        TorchTensor table = Tensor(recipe);
        TorchTensor index = checkpoint.Tensor(recipe.Part!, recipe.Index ?? throw new SwinFaceModelException($"{Origin}: recipe {recipe} names no index."));
        TorchTensor? mask = recipe.Mask is null ? null : checkpoint.Tensor(recipe.Part!, recipe.Mask);
        if (table.Shape.Length != 2 || index.Shape.Length != 2 || index.Shape[0] != index.Shape[1] || (mask is not null && (mask.Shape.Length != 3 || mask.Shape[1] != index.Shape[0] || mask.Shape[2] != index.Shape[0])))
        {
            throw new SwinFaceModelException($"{Origin}: {recipe.Part}: '{recipe.Key}', '{recipe.Index}' and '{recipe.Mask}' do not have the shapes of a Swin block's bias table, index and mask.");
        }

        return (table, index, mask);
    }

    /// <summary>
    /// The attention bias of a Swin block as the exporter's constant folding computes it:
    /// <c>table[index].view(n, n, heads).permute(2, 0, 1)</c>, plus <c>mask.unsqueeze(1)</c> for a shifted
    /// block, giving (windows or 1, heads, n, n). The float32 sums are the same as PyTorch's.
    /// </summary>
    private void RelativePositionBias(Recipe recipe, Span<float> output)
    {
        (TorchTensor table, TorchTensor index, TorchTensor? mask) = BiasTensors(recipe);
        int n = (int)index.Shape[0], rows = (int)table.Shape[0], heads = (int)table.Shape[1];
        int windows = mask is null ? 1 : (int)mask.Shape[0];
        float[] t = ArrayPool<float>.Shared.Rent(rows * heads);
        long[] idx = ArrayPool<long>.Shared.Rent(n * n);
        float[] m = ArrayPool<float>.Shared.Rent(windows * n * n);
        try
        {
            table.ReadSingles(t.AsSpan(0, rows * heads));
            index.ReadInt64s(idx.AsSpan(0, n * n));
            if (mask is not null)
            {
                mask.ReadSingles(m.AsSpan(0, windows * n * n));
            }

            for (int p = 0; p < n * n; p++)
            {
                if (idx[p] < 0 || idx[p] >= rows)
                {
                    throw new SwinFaceModelException($"{Origin}: {recipe.Part}: '{recipe.Index}' holds {idx[p]} at position {p}, outside the {rows} rows of '{recipe.Key}'.");
                }
            }

            for (int w = 0; w < windows; w++)
            {
                for (int h = 0; h < heads; h++)
                {
                    Span<float> block = output.Slice(((w * heads) + h) * n * n, n * n);
                    for (int p = 0; p < n * n; p++)
                    {
                        float bias = t[(idx[p] * heads) + h];
                        block[p] = mask is null ? bias : bias + m[(w * n * n) + p];
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(t);
            ArrayPool<long>.Shared.Return(idx);
            ArrayPool<float>.Shared.Return(m);
        }
    }

    private void Expect(OnnxWeights.Slot slot, Recipe recipe, OnnxWeights.SlotType type, long[] dims)
    {
        if (slot.Type != type || !slot.Dims.SequenceEqual(dims))
        {
            throw new SwinFaceModelException($"{Origin}: initializer '{slot.Name}' ({recipe}) is {slot.Type} {TorchTensor.FormatShape(slot.Dims)} in the structure, but the recipe makes {type} {TorchTensor.FormatShape(dims)}.");
        }
    }
}
