using System.Text.Json;

namespace SwinFace.Conversion;

/// <summary>
/// How one initializer is made from the checkpoint, as <c>models/export/structure.py</c> and <c>quantize.py</c>
/// record it. The fp32 recipes read the checkpoint:
/// <c>copy</c> a tensor, <c>transpose</c> a 2-D tensor, or <c>relative_position_bias</c> (a Swin block's bias table
/// gathered by its index, plus its shift mask if it has one). The int8 recipes build on an fp32 <see cref="Source"/>
/// and on what calibration measured: <c>quantize_s8</c> (symmetric s8 values or their float scales, per slice of
/// <see cref="Axis"/>), <c>smooth_divide</c> (a LayerNorm parameter divided by a smoothing factor),
/// <c>activation_scale</c> and <c>activation_zero_point</c> (the u8 quantization of a calibrated tensor).
/// </summary>
internal sealed record Recipe(
    string Op,
    string? Part = null,
    string? Key = null,
    string? Index = null,
    string? Mask = null,
    Recipe? Source = null,
    string? Output = null,
    int Axis = 0,
    string? Smooth = null,
    string? Stat = null)
{
    public static Recipe Parse(JsonElement e) => new(
        e.GetProperty("op").GetString()!,
        Text(e, "part"),
        Text(e, "key"),
        Text(e, "index"),
        Text(e, "mask"),
        e.TryGetProperty("source", out JsonElement s) && s.ValueKind == JsonValueKind.Object ? Parse(s) : null,
        Text(e, "output"),
        e.TryGetProperty("axis", out JsonElement a) && a.ValueKind == JsonValueKind.Number ? a.GetInt32() : 0,
        Text(e, "smooth"),
        Text(e, "stat"));

    public override string ToString() => Op + (Key is null ? string.Empty : $" of {Part} '{Key}'") + (Source is null ? string.Empty : $" of ({Source})");

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
