import Delivery
import KubeRuntime
import SerinAPI

extension CanaryReconciler {
    /// Sends the decision's events to the Canary's `analysis.alerts` providers. Returns at
    /// once: delivery runs in its own task and cannot delay the reconcile or a rollback.
    func notifyAlerts(_ list: [CanaryEvent], canary: Canary, status: CanaryStatus) {
        let alerts = canary.spec.effectiveAnalysis.alerts ?? []
        guard !alerts.isEmpty, !list.isEmpty else { return }
        let messages = CanaryAlertEvents.messages(list, canary: canary, status: status, now: clock.now())
        AlertNotifier(api: api, secrets: caches.secrets, options: config.alerts)
            .dispatch(messages, alerts: alerts, logger: ReconcileContext.logger)
    }
}
