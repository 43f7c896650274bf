namespace SwinFace.Fuzz;

/// <summary>One fuzzed parser: what it does with an input, and the exceptions that mean "rejected, as documented".</summary>
/// <param name="Name">The name given on the command line and the folder of its seeds (<c>seeds/NAME/</c>).</param>
/// <param name="Run">Parses one input. Any exception outside <paramref name="Expected"/> is a finding.</param>
/// <param name="Expected">The exception types the parser documents for bad input; subclasses count too.</param>
internal sealed record FuzzTarget(string Name, Action<byte[]> Run, params Type[] Expected)
{
    /// <summary>Runs one input; returns the documented exception it was rejected with, or null when it was accepted.</summary>
    /// <exception cref="Exception">Anything not documented: the fuzzer reports it as a crash.</exception>
    public Exception? Execute(byte[] input)
    {
        try
        {
            Run(input);
            return null;
        }
        catch (Exception e) when (Expected.Any(t => t.IsInstanceOfType(e)))
        {
            return e;
        }
    }
}
