import Foundation
import KubeCore

extension MetricHTTPError {
    /// The description, with the message of a JSON error body (`{"error": {"message": …}}`,
    /// as Dynatrace and Google answer) in place of the raw body when there is one.
    public var vendorDescription: String {
        guard case let .status(service, code, excerpt) = self,
              let json = try? JSONValue(parsing: Array(excerpt.utf8)),
              let message = json[path: ["error", "message"]].stringValue ?? json["message"].stringValue
        else { return description }
        return "\(service) answered HTTP \(code): \(message)"
    }
}
