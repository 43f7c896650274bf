using System.Diagnostics.CodeAnalysis;

namespace SwinFace;

/// <summary>The numeric precision of a SwinFace model file.</summary>
[SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Float32 and Int8 are the names of the precisions themselves.")]
public enum ModelPrecision
{
    /// <summary>The authors' model in 32-bit floats: the same outputs as their PyTorch code.</summary>
    Float32,

    /// <summary>
    /// The Linear layers and the branch convolutions in 8-bit integers (about twice as fast on CPUs with
    /// VNNI), the rest in fp32: outputs close to fp32, as measured at conversion (<see cref="Conversion.QuantizationFidelity"/>).
    /// </summary>
    Int8,
}
