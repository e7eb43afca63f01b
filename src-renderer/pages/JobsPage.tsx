import { useEffect } from 'react';
import { useStore } from '../store/store';
import { loadCompetitions } from '../store/actions';
import { InferenceBanners } from '../features/inference/InferenceBanners';
import { InferenceFigures } from '../features/inference/InferenceFigures';
import { JobsList } from '../features/inference/JobsList';
import { PlaygroundCard } from '../features/inference/PlaygroundCard';
import { SessionsCard } from '../features/inference/SessionsCard';
import { startInference } from '../features/inference/inference-actions';
import '../features/inference/inference.css';

/**
 * Private inference jobs: key-safety and lock banners, the sessions with their workers, the
 * figures, the Playground on the practice network, and every job live step by step.
 */
export function JobsPage() {
  const networks = useStore((s) => s.networks);
  const practice = networks?.profiles.find((p) => p.id === networks.selectedId)?.kind === 'practice';
  useEffect(() => {
    startInference();
    void loadCompetitions(false);
  }, []);
  return (
    <div className="page-stack jobs-page">
      <InferenceBanners />
      <InferenceFigures title="Figures" />
      <SessionsCard />
      {practice ? <PlaygroundCard /> : null}
      <JobsList />
    </div>
  );
}
