/**
 * A handful of real municipalities per province (INE code), the capital first. Enough for
 * synthetic data, pickers and tests to look like Spain; not a gazetteer. Ceuta and Melilla are
 * single-municipality cities.
 */
export const MUNICIPALITIES: Readonly<Record<string, readonly string[]>> = {
  '01': ['Vitoria-Gasteiz', 'Llodio', 'Amurrio', 'Salvatierra/Agurain'],
  '02': ['Albacete', 'Hellín', 'Villarrobledo', 'Almansa', 'La Roda'],
  '03': ['Alicante/Alacant', 'Elche/Elx', 'Torrevieja', 'Orihuela', 'Benidorm', 'Alcoy/Alcoi'],
  '04': ['Almería', 'Roquetas de Mar', 'El Ejido', 'Níjar', 'Vícar'],
  '05': ['Ávila', 'Arévalo', 'Las Navas del Marqués'],
  '06': ['Badajoz', 'Mérida', 'Don Benito', 'Almendralejo', 'Villanueva de la Serena'],
  '07': ['Palma', 'Calvià', 'Manacor', 'Eivissa', 'Llucmajor', 'Inca'],
  '08': ['Barcelona', "L'Hospitalet de Llobregat", 'Badalona', 'Terrassa', 'Sabadell', 'Mataró'],
  '09': ['Burgos', 'Miranda de Ebro', 'Aranda de Duero'],
  '10': ['Cáceres', 'Plasencia', 'Navalmoral de la Mata', 'Coria'],
  '11': ['Cádiz', 'Jerez de la Frontera', 'Algeciras', 'San Fernando', 'El Puerto de Santa María', 'La Línea de la Concepción'],
  '12': ['Castellón de la Plana', 'Vila-real', 'Burriana', 'Vinaròs'],
  '13': ['Ciudad Real', 'Puertollano', 'Tomelloso', 'Alcázar de San Juan', 'Valdepeñas'],
  '14': ['Córdoba', 'Lucena', 'Puente Genil', 'Montilla', 'Priego de Córdoba'],
  '15': ['A Coruña', 'Santiago de Compostela', 'Ferrol', 'Narón', 'Oleiros'],
  '16': ['Cuenca', 'Tarancón', 'San Clemente'],
  '17': ['Girona', 'Figueres', 'Blanes', 'Lloret de Mar', 'Olot'],
  '18': ['Granada', 'Motril', 'Almuñécar', 'Armilla', 'Loja', 'Baza'],
  '19': ['Guadalajara', 'Azuqueca de Henares', 'Alovera', 'Sigüenza'],
  '20': ['Donostia/San Sebastián', 'Irun', 'Errenteria', 'Eibar', 'Zarautz'],
  '21': ['Huelva', 'Lepe', 'Almonte', 'Moguer', 'Ayamonte'],
  '22': ['Huesca', 'Monzón', 'Barbastro', 'Jaca', 'Fraga'],
  '23': ['Jaén', 'Linares', 'Andújar', 'Úbeda', 'Martos'],
  '24': ['León', 'Ponferrada', 'San Andrés del Rabanedo', 'Villaquilambre', 'Astorga'],
  '25': ['Lleida', 'Balaguer', 'Tàrrega', 'Mollerussa'],
  '26': ['Logroño', 'Calahorra', 'Arnedo', 'Haro'],
  '27': ['Lugo', 'Monforte de Lemos', 'Viveiro', 'Vilalba'],
  '28': ['Madrid', 'Móstoles', 'Alcalá de Henares', 'Fuenlabrada', 'Leganés', 'Getafe'],
  '29': ['Málaga', 'Marbella', 'Mijas', 'Fuengirola', 'Vélez-Málaga', 'Torremolinos'],
  '30': ['Murcia', 'Cartagena', 'Lorca', 'Molina de Segura', 'Alcantarilla'],
  '31': ['Pamplona/Iruña', 'Tudela', 'Barañáin', 'Burlada/Burlata', 'Estella-Lizarra'],
  '32': ['Ourense', 'Verín', 'O Barco de Valdeorras', 'O Carballiño'],
  '33': ['Oviedo', 'Gijón', 'Avilés', 'Siero', 'Langreo', 'Mieres'],
  '34': ['Palencia', 'Aguilar de Campoo', 'Guardo', 'Venta de Baños'],
  '35': ['Las Palmas de Gran Canaria', 'Telde', 'Santa Lucía de Tirajana', 'Arrecife', 'San Bartolomé de Tirajana', 'Puerto del Rosario'],
  '36': ['Pontevedra', 'Vigo', 'Vilagarcía de Arousa', 'Redondela', 'Cangas', 'Marín'],
  '37': ['Salamanca', 'Béjar', 'Ciudad Rodrigo', 'Santa Marta de Tormes'],
  '38': ['Santa Cruz de Tenerife', 'San Cristóbal de La Laguna', 'Arona', 'Adeje', 'Los Llanos de Aridane', 'Puerto de la Cruz'],
  '39': ['Santander', 'Torrelavega', 'Castro-Urdiales', 'Camargo', 'Piélagos'],
  '40': ['Segovia', 'Cuéllar', 'San Ildefonso', 'El Espinar'],
  '41': ['Sevilla', 'Dos Hermanas', 'Alcalá de Guadaíra', 'Utrera', 'Mairena del Aljarafe', 'Écija'],
  '42': ['Soria', 'Almazán', 'El Burgo de Osma-Ciudad de Osma'],
  '43': ['Tarragona', 'Reus', 'El Vendrell', 'Tortosa', 'Cambrils', 'Salou'],
  '44': ['Teruel', 'Alcañiz', 'Andorra', 'Calamocha'],
  '45': ['Toledo', 'Talavera de la Reina', 'Illescas', 'Seseña', 'Torrijos'],
  '46': ['València', 'Torrent', 'Gandia', 'Paterna', 'Sagunt', 'Alzira'],
  '47': ['Valladolid', 'Medina del Campo', 'Laguna de Duero', 'Arroyo de la Encomienda'],
  '48': ['Bilbao', 'Barakaldo', 'Getxo', 'Portugalete', 'Santurtzi', 'Basauri'],
  '49': ['Zamora', 'Benavente', 'Toro'],
  '50': ['Zaragoza', 'Calatayud', 'Utebo', 'Ejea de los Caballeros', 'Tarazona'],
  '51': ['Ceuta'],
  '52': ['Melilla'],
};

export function municipalitiesOf(provinceCode: string): readonly string[] {
  const list = MUNICIPALITIES[provinceCode];
  if (!list) throw new Error(`unknown province code ${provinceCode}`);
  return list;
}
