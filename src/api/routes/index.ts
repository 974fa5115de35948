import type { Route } from '../route.js';
import { datasetRoutes } from './datasets.js';
import { healthRoutes } from './health.js';
import { resultRoutes } from './results.js';
import { contributionRoutes } from './contributions.js';
import { analysisRoutes } from './analysis.js';
import { recommendationRoutes } from './recommendations.js';
import { ingestionRoutes } from './ingestion.js';
import { embeddingRoutes } from './embeddings.js';
import { distanceRoutes } from './distances.js';
import { expertRoutes } from './experts.js';
import { studyRoutes } from './studies.js';
import { jobRoutes } from './jobs.js';
import { tokenRoutes } from './tokens.js';

/** Every operation the service serves; the contract test holds this list and openapi.yaml equal. */
export const routes: readonly Route[] = [
  ...healthRoutes,
  ...datasetRoutes,
  ...resultRoutes,
  ...contributionRoutes,
  ...analysisRoutes,
  ...recommendationRoutes,
  ...ingestionRoutes,
  ...embeddingRoutes,
  ...distanceRoutes,
  ...expertRoutes,
  ...studyRoutes,
  ...jobRoutes,
  ...tokenRoutes,
];
