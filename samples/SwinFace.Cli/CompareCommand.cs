using System.CommandLine;
using System.Globalization;
using SwinFace.Recognition;

namespace SwinFace.Cli;

/// <summary>The <c>compare</c> command: the cosine similarity of the faces of two images, and a verdict when a threshold is known.</summary>
internal static class CompareCommand
{
    private static readonly Option<string> Model = FaceInputs.ModelOption();
    private static readonly Option<bool> Aligned = FaceInputs.AlignedOption();
    private static readonly Option<float?> Threshold = FaceInputs.ThresholdOption();
    private static readonly Option<bool> Json = FaceInputs.JsonOption();
    private static readonly Argument<string> ImageA = new("a") { Description = "The first image. A photo with several faces: its largest face is used." };
    private static readonly Argument<string> ImageB = new("b") { Description = "The second image. A photo with several faces: its largest face is used." };

    public static Command Create()
    {
        var command = new Command("compare", "Compare the faces of two images: cosine similarity, and a same-person verdict when a threshold is known. In a photo with several faces the largest one is used.");
        command.Options.Add(Model);
        command.Options.Add(Aligned);
        command.Options.Add(Threshold);
        command.Options.Add(Json);
        command.Arguments.Add(ImageA);
        command.Arguments.Add(ImageB);
        command.SetAction(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        string a = parse.GetValue(ImageA)!;
        string b = parse.GetValue(ImageB)!;
        bool aligned = parse.GetValue(Aligned);
        try
        {
            FaceInputs.RequireFiles(a, b);
            string modelPath = parse.GetValue(Model)!;
            using FaceAnalyzer analyzer = FaceAnalyzer.Create(modelPath);
            Cli.WarnIfUntrained(analyzer);
            ThresholdChoice? threshold = ThresholdChoice.Resolve(parse.GetValue(Threshold), modelPath);
            (float[] embeddingA, int facesA) = FaceInputs.ReadLargest(analyzer, a, aligned);
            (float[] embeddingB, int facesB) = FaceInputs.ReadLargest(analyzer, b, aligned);
            float similarity = FaceSimilarity.Compare(embeddingA, embeddingB).Similarity;
            bool? same = threshold?.Accepts(similarity);

            if (parse.GetValue(Json))
            {
                FaceInputs.WriteJson(json =>
                {
                    json.WriteString("a", a);
                    json.WriteString("b", b);
                    json.WriteNumber("similarity", similarity);
                    ThresholdChoice.Write(json, threshold);
                    if (same is bool s)
                    {
                        json.WriteBoolean("samePerson", s);
                    }
                    else
                    {
                        json.WriteNull("samePerson");
                    }
                });
                return 0;
            }

            Console.WriteLine($"a           {a}{Largest(facesA)}");
            Console.WriteLine($"b           {b}{Largest(facesB)}");
            Console.WriteLine($"similarity  {similarity.ToString("F4", CultureInfo.InvariantCulture)}");
            if (threshold is null)
            {
                Console.WriteLine(FaceInputs.NoThreshold);
            }
            else
            {
                Console.WriteLine($"threshold   {threshold.Describe()}");
                Console.WriteLine($"verdict     {(same == true ? "same person" : "different people")}");
            }

            return 0;
        }
        catch (Exception e) when (FaceInputs.IsInputError(e))
        {
            return Cli.Fail(FaceInputs.InputError, e.Message);
        }
    }

    private static string Largest(int faces) => faces > 1 ? $" (largest of {faces} faces)" : string.Empty;
}
